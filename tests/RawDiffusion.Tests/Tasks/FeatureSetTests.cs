using RawDiffusion.Tasks;

namespace RawDiffusion.Tests.Tasks;

public class FeatureSetTests
{
    const int Rows = 40, Length = 3;
    static readonly string[] Names = ["a", "b", "c", "d", "e"];

    // Row r holds r*10 + column, so every row is distinct and identifies itself; labels are a fixed shuffle of the classes.
    static FeatureSet Sample()
    {
        var features = Enumerable.Range(0, Rows * Length).Select(i => (float)(i / Length * 10 + i % Length)).ToArray();
        var labels = Enumerable.Range(0, Rows).Select(r => r * 7 % 11 % Names.Length).ToArray();
        return new FeatureSet(features, labels, [Length], Names, "sample");
    }

    static float[] RowOf(FeatureSet set, int r) => set.Row(r).ToArray();

    [Fact]
    public void ForTask_keeps_the_task_classes_relabelled_in_task_order()
    {
        var set = Sample();
        var task = TaskSpec.Create("d", [3, 0, 4], Names);
        var subset = set.ForTask(task);

        var expectedRows = new List<float[]>();
        var expectedLabels = new List<int>();
        for (int r = 0; r < set.Count; r++)
        {
            int position = Array.IndexOf(task.Classes, set.Labels[r]);
            if (position < 0) continue;
            expectedRows.Add(RowOf(set, r));
            expectedLabels.Add(position);
        }
        Assert.Equal(expectedLabels, subset.Labels);
        Assert.Equal(expectedRows.SelectMany(r => r).ToArray(), subset.Features);
        Assert.Equal(["d", "a", "e"], subset.ClassNames);
        Assert.Equal([Length], subset.SampleShape);
        Assert.Contains(task.Id, subset.Source);
    }

    [Fact]
    public void ForTask_refuses_a_class_the_set_does_not_have()
    {
        var set = Sample();
        var task = TaskSpec.Create("d", [1, 6], ["0", "1", "2", "3", "4", "5", "6"]);
        var e = Assert.Throws<ArgumentException>(() => set.ForTask(task));
        Assert.Contains("sample", e.Message);
    }

    [Fact]
    public void SupportSet_draws_distinct_rows_of_each_class_in_class_order()
    {
        var set = Sample();
        const int perClass = 4;
        var support = set.SupportSet(perClass, new Generator(9));
        Assert.Equal(Names.Length * perClass * Length, support.Length);

        for (int c = 0; c < Names.Length; c++)
        {
            var drawn = new HashSet<int>();
            for (int k = 0; k < perClass; k++)
            {
                var values = support.AsSpan((c * perClass + k) * Length, Length).ToArray();
                int row = (int)values[0] / 10; // rows identify themselves, see Sample
                Assert.Equal(RowOf(set, row), values);
                Assert.Equal(c, set.Labels[row]);
                Assert.True(drawn.Add(row), $"class {c} drew row {row} twice");
            }
        }
        Assert.Equal(support, set.SupportSet(perClass, new Generator(9)));
    }

    [Fact]
    public void SupportSet_refuses_a_class_with_too_few_rows()
    {
        var set = Sample();
        int smallest = Enumerable.Range(0, Names.Length).Min(c => set.Labels.Count(l => l == c));
        set.SupportSet(smallest, new Generator(1));
        var e = Assert.Throws<InvalidOperationException>(() => set.SupportSet(smallest + 1, new Generator(1)));
        Assert.Contains("sample", e.Message);
    }

    [Fact]
    public void Select_and_Batch_copy_the_chosen_rows_in_order()
    {
        var set = Sample();
        int[] indices = [5, 0, 39, 5, 17];

        var selected = set.Select(indices);
        Assert.Equal(indices.SelectMany(r => RowOf(set, r)).ToArray(), selected.Features);
        Assert.Equal(indices.Select(r => set.Labels[r]).ToArray(), selected.Labels);
        Assert.Equal(Names, selected.ClassNames);

        using var scope = DisposeScope.Enter();
        var (inputs, labels) = set.Batch(indices);
        Assert.Equal([indices.Length, Length], inputs.ShapeArray);
        Assert.Equal(indices.SelectMany(r => RowOf(set, r)).ToArray(), inputs.ToArray<float>());
        Assert.Equal(DType.Int32, labels.DType);
        Assert.Equal(indices.Select(r => set.Labels[r]).ToArray(), labels.ToArray<int>());
    }

    [Fact]
    public void Batch_gives_image_rows_their_sample_shape()
    {
        var set = new FeatureSet(Enumerable.Range(0, 3 * 6).Select(i => (float)i).ToArray(), [1, 0, 1], [1, 2, 3], ["x", "y"]);
        using var scope = DisposeScope.Enter();
        var (inputs, _) = set.Batch([2, 0]);
        Assert.Equal([2, 1, 2, 3], inputs.ShapeArray);
        Assert.Equal(Enumerable.Range(12, 6).Concat(Enumerable.Range(0, 6)).Select(i => (float)i).ToArray(), inputs.ToArray<float>());
    }
}
