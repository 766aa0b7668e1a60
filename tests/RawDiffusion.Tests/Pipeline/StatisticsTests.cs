using MathNet.Numerics.Distributions;
using RawDiffusion.Pipeline;

namespace RawDiffusion.Tests.Pipeline;

public sealed class StatisticsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    [InlineData(29)]
    [InlineData(30)]
    [InlineData(31)]
    [InlineData(49)]
    [InlineData(200)]
    public void StudentQuantileMatchesMathNet(int degrees) =>
        Assert.Equal(StudentT.InvCDF(0, 1, degrees, 0.975), Statistics.StudentT975(degrees), 3);

    [Fact]
    public void MeanStdAndIntervalMatchTheTextbookFormulas()
    {
        double[] values = [0.8, 0.9, 0.7, 0.85, 0.75];
        Assert.Equal(0.8, Statistics.Mean(values), 12);
        Assert.Equal(MathNet.Numerics.Statistics.Statistics.StandardDeviation(values), Statistics.Std(values), 12);
        Assert.Equal(StudentT.InvCDF(0, 1, 4, 0.975) * Statistics.Std(values) / Math.Sqrt(5), Statistics.Ci95(values), 3);
        Assert.Equal(0, Statistics.Ci95([0.5]));
        Assert.Throws<ArgumentException>(() => Statistics.Mean([]));
    }
}
