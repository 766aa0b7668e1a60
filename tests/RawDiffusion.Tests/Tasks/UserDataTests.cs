using RawDiffusion.Data;
using RawDiffusion.IO;
using RawDiffusion.Tasks;
using RawDiffusion.Tests.Data;

namespace RawDiffusion.Tests.Tasks;

public class UserDataTests
{
    static readonly string FixtureFolder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "userdata");

    // 7 images of 3x4 whose bytes include both ends, 0 and 255; labels 0..4 with class 3 absent.
    static ByteImages SampleImages() =>
        new(7, 3, 4, Enumerable.Range(0, 7 * 12).Select(i => (byte)(i == 1 ? 255 : i * 37 % 256)).ToArray());

    static readonly byte[] SampleLabels = [4, 0, 2, 1, 0, 4, 2];

    static void AssertMentions(Exception e, string path) => Assert.Contains(Path.GetFileName(path), e.Message);

    [Theory]
    [InlineData(true, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")]
    [InlineData(false, "train-images-idx3-ubyte", "train-labels-idx1-ubyte")]
    [InlineData(false, "images.idx", "labels.idx")]
    public void Idx_files_load_as_unit_pixels_with_default_class_names(bool compress, string imagesName, string labelsName)
    {
        using var folder = new TempFolder();
        var images = SampleImages();
        IdxWriter.WriteImages(folder.File(imagesName), images, compress);
        IdxWriter.WriteLabels(folder.File(labelsName), SampleLabels, compress);

        foreach (var set in new[] { UserData.FromIdx(folder.File(imagesName), folder.File(labelsName)), UserData.Load(folder.File(imagesName), folder.File(labelsName)) })
        {
            Assert.Equal([1, 3, 4], set.SampleShape);
            Assert.Equal(7, set.Count);
            Assert.Equal(images.Pixels.Select(b => b / 255f).ToArray(), set.Features);
            Assert.Equal(SampleLabels.Select(l => (int)l).ToArray(), set.Labels);
            Assert.Equal(["0", "1", "2", "3", "4"], set.ClassNames);
            Assert.Equal(folder.File(imagesName), set.Source);
        }
    }

    [Fact]
    public void Idx_class_names_are_used_and_must_cover_every_label()
    {
        using var folder = new TempFolder();
        string images = folder.File("x-images-idx3-ubyte"), labels = folder.File("x-labels-idx1-ubyte");
        IdxWriter.WriteImages(images, SampleImages(), compress: false);
        IdxWriter.WriteLabels(labels, SampleLabels, compress: false);

        string[] names = ["a", "b", "c", "d", "e", "f"];
        Assert.Equal(names, UserData.FromIdx(images, labels, names).ClassNames);

        var e = Assert.Throws<FormatException>(() => UserData.FromIdx(images, labels, ["a", "b", "c", "d"]));
        AssertMentions(e, labels);
        Assert.Contains("row 0", e.Message);
    }

    [Fact]
    public void Idx_count_mismatch_names_both_files()
    {
        using var folder = new TempFolder();
        string images = folder.File("images.idx"), labels = folder.File("labels.idx");
        IdxWriter.WriteImages(images, SampleImages());
        IdxWriter.WriteLabels(labels, SampleLabels[..6]);
        var e = Assert.Throws<FormatException>(() => UserData.FromIdx(images, labels));
        AssertMentions(e, images);
        AssertMentions(e, labels);
        Assert.Contains("7 images", e.Message);
        Assert.Contains("6 labels", e.Message);
    }

    [Fact]
    public void Idx_labels_that_are_not_one_dimensional_are_refused_naming_the_file()
    {
        using var folder = new TempFolder();
        string images = folder.File("images.idx"), labels = folder.File("labels.idx");
        IdxWriter.WriteImages(images, SampleImages());
        IdxWriter.WriteImages(labels, SampleImages()); // a 3-D file where labels belong
        var e = Assert.Throws<InvalidDataException>(() => UserData.FromIdx(images, labels));
        AssertMentions(e, labels);
    }

    [Fact]
    public void Npy_features_and_labels_round_trip_through_the_npy_writer()
    {
        using var folder = new TempFolder();
        string features = folder.File("features.npy"), labels = folder.File("labels.npy");
        var values = Enumerable.Range(0, 6 * 5).Select(i => MathF.Sin(i) * 100).ToArray();
        int[] labelValues = [2, 2, 0, 1, 0, 2];
        NpyFile.Write(features, values, [6, 5]);
        NpyFile.Write(labels, labelValues, [6]);

        var set = UserData.Load(features, labels, ["zero", "one", "two"]);
        Assert.Equal([5], set.SampleShape);
        Assert.Equal(values, set.Features);
        Assert.Equal(labelValues, set.Labels);
        Assert.Equal(["zero", "one", "two"], set.ClassNames);
        Assert.Equal(features, set.Source);
    }

    [Fact]
    public void Npy_float64_images_keep_their_sample_shape()
    {
        using var folder = new TempFolder();
        string features = folder.File("images.npy"), labels = folder.File("labels.npy");
        var values = Enumerable.Range(0, 4 * 2 * 3).Select(i => i / 3.0 - 1).ToArray();
        NpyFile.Write(features, values, [4, 2, 3]);
        NpyFile.Write(labels, new long[] { 1, 0, 0, 1 }, [4]);

        var set = UserData.FromNpy(features, labels);
        Assert.Equal([2, 3], set.SampleShape);
        Assert.Equal(values.Select(v => (float)v).ToArray(), set.Features);
        Assert.Equal([1, 0, 0, 1], set.Labels);
        Assert.Equal(["0", "1"], set.ClassNames);
    }

    [Fact]
    public void Npy_files_written_by_numpy_load_with_their_values()
    {
        var set = UserData.Load(Path.Combine(FixtureFolder, "features_f4.npy"), Path.Combine(FixtureFolder, "labels_i8.npy"));
        Assert.Equal([4], set.SampleShape);
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 4; c++)
                Assert.Equal((10 * r + c) / 4f - 3, set.Row(r)[c]);
        Assert.Equal([3, 0, 2, 1, 3], set.Labels);
        Assert.Equal(["0", "1", "2", "3"], set.ClassNames);

        foreach (string labelsFile in new[] { "labels_u1.npy", "labels_i2.npy" })
        {
            var images = UserData.FromNpy(Path.Combine(FixtureFolder, "images_f8.npy"), Path.Combine(FixtureFolder, labelsFile), ["p", "q", "s"]);
            Assert.Equal([2, 3], images.SampleShape);
            for (int r = 0; r < 6; r++)
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 3; j++)
                        Assert.Equal((float)((r - 2.5) * 0.5 + i / 8.0 + j / 16.0), images.Row(r)[i * 3 + j]);
            Assert.Equal([1, 0, 1, 2, 2, 0], images.Labels);
            Assert.Equal(["p", "q", "s"], images.ClassNames);
        }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Non_finite_features_are_refused_naming_file_and_row(float bad)
    {
        using var folder = new TempFolder();
        string features = folder.File("features.npy"), labels = folder.File("labels.npy");
        var values = new float[4 * 3];
        values[2 * 3 + 1] = bad;
        NpyFile.Write(features, values, [4, 3]);
        NpyFile.Write(labels, new int[4], [4]);
        var e = Assert.Throws<FormatException>(() => UserData.FromNpy(features, labels));
        AssertMentions(e, features);
        Assert.Contains("row 2", e.Message);
    }

    [Fact]
    public void Float64_features_beyond_float32_range_are_refused_naming_file_and_row()
    {
        using var folder = new TempFolder();
        string features = folder.File("features.npy"), labels = folder.File("labels.npy");
        var values = new double[3 * 2];
        values[5] = 1e300;
        NpyFile.Write(features, values, [3, 2]);
        NpyFile.Write(labels, new int[3], [3]);
        var e = Assert.Throws<FormatException>(() => UserData.FromNpy(features, labels));
        AssertMentions(e, features);
        Assert.Contains("row 2", e.Message);
    }

    [Theory]
    [InlineData(-1, null)]
    [InlineData(3, new[] { "a", "b", "c" })]
    public void Bad_npy_labels_are_refused_naming_file_and_row(int badLabel, string[]? classNames)
    {
        using var folder = new TempFolder();
        string features = folder.File("features.npy"), labels = folder.File("labels.npy");
        NpyFile.Write(features, new float[5 * 2], [5, 2]);
        NpyFile.Write(labels, new[] { 0, 1, 2, badLabel, 0 }, [5]);
        var e = Assert.Throws<FormatException>(() => UserData.FromNpy(features, labels, classNames));
        AssertMentions(e, labels);
        Assert.Contains("row 3", e.Message);
    }

    [Fact]
    public void Npy_count_mismatch_names_both_files()
    {
        using var folder = new TempFolder();
        string features = folder.File("features.npy"), labels = folder.File("labels.npy");
        NpyFile.Write(features, new float[5 * 2], [5, 2]);
        NpyFile.Write(labels, new int[4], [4]);
        var e = Assert.Throws<FormatException>(() => UserData.FromNpy(features, labels));
        AssertMentions(e, features);
        AssertMentions(e, labels);
    }

    [Fact]
    public void Wrong_ranks_and_dtypes_are_refused_naming_the_file()
    {
        using var folder = new TempFolder();
        string features = folder.File("features.npy"), flat = folder.File("flat.npy"), labels = folder.File("labels.npy"),
            labels2d = folder.File("labels2d.npy"), floatLabels = folder.File("float-labels.npy"), intFeatures = folder.File("int-features.npy");
        NpyFile.Write(features, new float[4 * 2], [4, 2]);
        NpyFile.Write(flat, new float[4], [4]);
        NpyFile.Write(labels, new int[4], [4]);
        NpyFile.Write(labels2d, new int[4], [4, 1]);
        NpyFile.Write(floatLabels, new float[4], [4]);
        NpyFile.Write(intFeatures, new int[4 * 2], [4, 2]);

        AssertMentions(Assert.Throws<FormatException>(() => UserData.FromNpy(flat, labels)), flat);
        AssertMentions(Assert.Throws<FormatException>(() => UserData.FromNpy(features, labels2d)), labels2d);
        AssertMentions(Assert.Throws<FormatException>(() => UserData.FromNpy(features, floatLabels)), floatLabels);
        AssertMentions(Assert.Throws<FormatException>(() => UserData.FromNpy(intFeatures, labels)), intFeatures);
    }

    [Fact]
    public void Unknown_extensions_missing_files_and_mixed_formats_are_refused_naming_the_file()
    {
        using var folder = new TempFolder();
        string features = folder.File("features.npy"), labels = folder.File("labels.npy"), csv = folder.File("features.csv"),
            idxLabels = folder.File("labels.idx"), missing = folder.File("absent.npy");
        NpyFile.Write(features, new float[2], [2, 1]);
        NpyFile.Write(labels, new int[2], [2]);
        File.WriteAllText(csv, "1,2\n");
        IdxWriter.WriteLabels(idxLabels, new byte[2]);

        AssertMentions(Assert.Throws<ArgumentException>(() => UserData.Load(csv, labels)), csv);
        AssertMentions(Assert.Throws<ArgumentException>(() => UserData.Load(features, csv)), csv);
        AssertMentions(Assert.Throws<ArgumentException>(() => UserData.Load(features, idxLabels)), idxLabels);
        AssertMentions(Assert.Throws<FileNotFoundException>(() => UserData.Load(missing, labels)), missing);
        AssertMentions(Assert.Throws<FileNotFoundException>(() => UserData.Load(features, missing)), missing);
        string missingIdx = folder.File("absent-images-idx3-ubyte.gz");
        AssertMentions(Assert.Throws<FileNotFoundException>(() => UserData.Load(missingIdx, idxLabels)), missingIdx);
    }

    [Fact]
    public void Class_name_files_give_one_name_per_line()
    {
        using var folder = new TempFolder();
        string path = folder.File("classes.txt");
        File.WriteAllText(path, "cat\r\ndog \nred fox\n");
        Assert.Equal(["cat", "dog", "red fox"], UserData.ReadClassNames(path));
    }

    [Theory]
    [InlineData("cat\n\ndog\n", "line 2")]
    [InlineData("cat\ndog\n  \n", "line 3")]
    [InlineData("cat\ndog\ncat\n", "line 3")]
    [InlineData("", "no class names")]
    public void Bad_class_name_files_are_refused_naming_file_and_line(string content, string expected)
    {
        using var folder = new TempFolder();
        string path = folder.File("classes.txt");
        File.WriteAllText(path, content);
        var e = Assert.Throws<FormatException>(() => UserData.ReadClassNames(path));
        AssertMentions(e, path);
        Assert.Contains(expected, e.Message);
    }
}
