using RawDiffusion.Tasks;

namespace RawDiffusion.Tests.Tasks;

public class TaskFamilyTests
{
    static readonly string[] Names = Enumerable.Range(0, 10).Select(c => $"class{c}").ToArray();

    [Fact]
    public void Draws_distinct_tasks_of_k_distinct_classes()
    {
        var tasks = TaskFamily.Draw("d", Names, 4, 50, seed: 3);
        Assert.Equal(50, tasks.Count);
        Assert.Equal(50, tasks.Select(t => t.Id).Distinct().Count());
        foreach (var task in tasks)
        {
            Assert.Equal("d", task.Domain);
            Assert.Equal(4, task.ClassCount);
            Assert.Equal(4, task.Classes.Distinct().Count());
            Assert.All(task.Classes, c => Assert.InRange(c, 0, Names.Length - 1));
            Assert.Equal(task.Classes.Select(c => Names[c]).ToArray(), task.ClassNames);
            Assert.Equal(TaskSpec.IdOf("d", task.Classes), task.Id);
        }
    }

    [Fact]
    public void The_same_seed_draws_the_same_tasks()
    {
        var first = TaskFamily.Draw("d", Names, 3, 20, seed: 11).Select(t => t.Id);
        var again = TaskFamily.Draw("d", Names, 3, 20, seed: 11).Select(t => t.Id);
        var other = TaskFamily.Draw("d", Names, 3, 20, seed: 12).Select(t => t.Id);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Excluded_class_sets_are_never_drawn_in_any_order()
    {
        var seen = TaskFamily.Draw("d", Names, 3, 40, seed: 1);
        var unseen = TaskFamily.Draw("d", Names, 3, 40, seed: 2, excludedSets: seen);
        foreach (var task in unseen)
            Assert.DoesNotContain(seen, s => s.SameClassSet(task));
    }

    [Fact]
    public void Every_allowed_ordering_can_be_drawn_and_no_more()
    {
        string[] four = ["w", "x", "y", "z"];
        // 4 choose 2 = 6 class sets, 2 orders each.
        var all = TaskFamily.Draw("d", four, 2, 12, seed: 5);
        Assert.Equal(12, all.Select(t => t.Id).Distinct().Count());
        Assert.Throws<ArgumentException>(() => TaskFamily.Draw("d", four, 2, 13, seed: 5));

        // Excluding five of the six sets leaves only the two orders of {1, 3}; another domain's exclusions do not count.
        var excluded = new[] { new[] { 0, 1 }, [0, 2], [0, 3], [1, 2], [2, 3] }.Select(c => TaskSpec.Create("d", c, four))
            .Append(TaskSpec.Create("other", [1, 3], four)).ToArray();
        var left = TaskFamily.Draw("d", four, 2, 2, seed: 5, excludedSets: excluded);
        Assert.Equal(["d:1-3", "d:3-1"], left.Select(t => t.Id).Order());
        Assert.Throws<ArgumentException>(() => TaskFamily.Draw("d", four, 2, 3, seed: 5, excludedSets: excluded));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(11)]
    public void Classes_per_task_must_be_between_two_and_the_class_count(int classesPerTask) =>
        Assert.Throws<ArgumentException>(() => TaskFamily.Draw("d", Names, classesPerTask, 1, seed: 0));
}
