using RawDiffusion.Training.Optimizers;
using RawDiffusion.Training.Schedules;

namespace RawDiffusion.Tests.Training;

public class ScheduleTests
{
    const double Peak = 1e-3, Floor = 1e-5, Start = 1e-6;

    [Fact]
    public void ConstantIsConstant()
    {
        var s = new ConstantSchedule(3e-4);
        Assert.Equal(3e-4, s.LearningRate(0));
        Assert.Equal(3e-4, s.LearningRate(1_000_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.LearningRate(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(-1));
    }

    [Fact]
    public void WarmupCosineHitsTheFormulaAtItsBoundaries()
    {
        var s = new WarmupCosineSchedule(Peak, warmupSteps: 100, totalSteps: 1100, floor: Floor, warmupStart: Start);
        Assert.Equal(Start, s.LearningRate(0), 15);
        Assert.Equal(Start + (Peak - Start) * 1 / 100, s.LearningRate(1), 15);
        Assert.Equal(Start + (Peak - Start) * 99 / 100, s.LearningRate(99), 15);
        Assert.Equal(Peak, s.LearningRate(100), 15);
        Assert.Equal(Floor + (Peak - Floor) * 0.5 * (1 + Math.Cos(Math.PI / 1000)), s.LearningRate(101), 15);
        Assert.Equal((Peak + Floor) / 2, s.LearningRate(600), 15);
        Assert.Equal(Floor + (Peak - Floor) * 0.5 * (1 + Math.Cos(Math.PI * 999 / 1000)), s.LearningRate(1099), 15);
        Assert.Equal(Floor, s.LearningRate(1100), 15);
        Assert.Equal(Floor, s.LearningRate(5000), 15);
        for (long step = 100; step < 1100; step++) Assert.True(s.LearningRate(step + 1) <= s.LearningRate(step));
    }

    [Fact]
    public void WarmupLinearHitsTheFormulaAtItsBoundaries()
    {
        var s = new WarmupLinearSchedule(Peak, warmupSteps: 10, totalSteps: 110, floor: Floor);
        Assert.Equal(0, s.LearningRate(0));
        Assert.Equal(Peak * 5 / 10, s.LearningRate(5), 15);
        Assert.Equal(Peak, s.LearningRate(10), 15);
        Assert.Equal(Peak + (Floor - Peak) * 0.01, s.LearningRate(11), 15);
        Assert.Equal((Peak + Floor) / 2, s.LearningRate(60), 15);
        Assert.Equal(Floor, s.LearningRate(110), 15);
        Assert.Equal(Floor, s.LearningRate(111), 15);
    }

    [Fact]
    public void NoWarmupStartsAtThePeakAndEqualPhasesJumpToTheFloor()
    {
        var cosine = new WarmupCosineSchedule(Peak, 0, 50, Floor);
        Assert.Equal(Peak, cosine.LearningRate(0), 15);
        Assert.Equal(Floor, cosine.LearningRate(50), 15);
        var linear = new WarmupLinearSchedule(Peak, 20, 20, Floor);
        Assert.Equal(Peak / 2, linear.LearningRate(10), 15);
        Assert.Equal(Floor, linear.LearningRate(20), 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupLinearSchedule(Peak, 20, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(Peak, -1, 10));
    }

    [Fact]
    public void ApplySetsEveryGroupForTheNextStep()
    {
        var p = Tensor.Zeros([2]);
        p.RequiresGrad = true;
        var q = Tensor.Zeros([2]);
        q.RequiresGrad = true;
        using var optimizer = new Sgd([new ParameterGroup([p]), new ParameterGroup([q], learningRate: 5)], 1);
        var s = new WarmupLinearSchedule(1, 4, 8);
        Assert.Equal(0, s.Apply(optimizer));
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0, g.LearningRate));
        p.Grad = Tensor.Ones([2]);
        optimizer.Step();
        optimizer.Step();
        Assert.Equal(0.5, s.Apply(optimizer));
        Assert.Equal(0.5, optimizer.ParamGroups[1].LearningRate);
    }
}
