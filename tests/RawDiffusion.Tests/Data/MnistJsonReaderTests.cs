using System.Globalization;
using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

public class MnistJsonReaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    // Values as the npm package writes them: grey level / 255, rounded to three decimals.
    private static string DigitJson(IEnumerable<byte> levels) =>
        "{ \"data\": [" + string.Join(",", levels.Select(b => Math.Round(b / 255.0, 3).ToString(CultureInfo.InvariantCulture))) + "] }";

    private static byte[] Levels(int count, int seed)
    {
        var levels = new byte[count];
        new Random(seed).NextBytes(levels);
        return levels;
    }

    private string WriteJson(string name, string json)
    {
        string path = _temp.File(name);
        File.WriteAllText(path, json);
        return path;
    }

    private static string Rejected(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => MnistJsonReader.ReadDigitFile(path));
        Assert.StartsWith(path + ": ", e.Message);
        return e.Message;
    }

    [Fact]
    public void ReadsImagesBackToTheirExactGreyLevels()
    {
        byte[] levels = Levels(2 * 784, seed: 1);
        levels[0] = 0;
        levels[1] = 255;
        string path = WriteJson("3.json", DigitJson(levels));

        var images = MnistJsonReader.ReadDigitFile(path);

        Assert.Equal((2, 28, 28), (images.Count, images.Height, images.Width));
        Assert.Equal(levels, images.Pixels);
    }

    [Fact]
    public void OtherPropertiesAreIgnored()
    {
        string json = "{ \"name\": \"seven\", \"meta\": { \"a\": [1, 2] }, \"data\": ["
                      + string.Join(",", Enumerable.Repeat("0.5", 784)) + "], \"z\": null }";
        var images = MnistJsonReader.ReadDigitFile(WriteJson("7.json", json));
        Assert.Equal(1, images.Count);
        Assert.All(images.Pixels, b => Assert.Equal(128, b));
    }

    [Fact]
    public void ByteOrderMarkIsAccepted()
    {
        string path = _temp.File("8.json");
        File.WriteAllText(path, DigitJson(new byte[784]), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(1, MnistJsonReader.ReadDigitFile(path).Count);
    }

    [Fact]
    public void IncompleteLastImageIsRejectedWithItsIndex()
    {
        string path = WriteJson("1.json", DigitJson(Levels(2 * 784 - 1, seed: 2)));
        Assert.Contains("image 1 has only 783 of 784 values", Rejected(path));
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.004")]
    [InlineData("1e400")]
    public void ValuesOutsideUnitRangeAreRejectedWithImageIndex(string bad)
    {
        var values = Enumerable.Repeat("0", 2 * 784).ToArray();
        values[784 + 5] = bad;
        string path = WriteJson("2.json", "{\"data\":[" + string.Join(",", values) + "]}");
        Assert.Contains($"image 1: value {bad} at pixel 5 is outside [0, 1]", Rejected(path));
    }

    [Fact]
    public void NonNumberValueIsRejectedWithImageIndex()
    {
        var values = Enumerable.Repeat("0", 784).ToArray();
        values[10] = "\"0.5\"";
        string path = WriteJson("4.json", "{\"data\":[" + string.Join(",", values) + "]}");
        Assert.Contains("image 0: value at pixel 10 is String, expected a number", Rejected(path));
    }

    [Theory]
    [InlineData("[0, 0, 0]", "top-level value is StartArray")]
    [InlineData("42", "top-level value is Number")]
    [InlineData("{ \"pixels\": [] }", "has no \"data\" array")]
    [InlineData("{ \"data\": { \"0\": 1 } }", "\"data\" is StartObject, expected an array")]
    [InlineData("{ \"data\": [0, 0", "is not valid JSON")]
    [InlineData("{ \"data\": [] } trailing", "is not valid JSON")]
    [InlineData("", "is not valid JSON")]
    public void MalformedFilesAreRejected(string json, string problem)
    {
        string path = WriteJson("5.json", json);
        Assert.Contains(problem, Rejected(path));
    }

    [Fact]
    public void FolderReaderReturnsOneSetPerDigit()
    {
        for (int d = 0; d < 10; d++)
            WriteJson($"{d}.json", DigitJson(Enumerable.Repeat((byte)(d * 20), (d % 3 + 1) * 784)));

        var digits = MnistJsonReader.ReadDigitFolder(_temp.Path);

        Assert.Equal(10, digits.Count);
        for (int d = 0; d < 10; d++)
        {
            Assert.Equal(d % 3 + 1, digits[d].Count);
            Assert.All(digits[d].Pixels, b => Assert.Equal(d * 20, b));
        }
    }

    [Fact]
    public void FolderReaderNamesAMissingDigitFile()
    {
        WriteJson("0.json", DigitJson(new byte[784]));
        var e = Assert.Throws<FileNotFoundException>(() => MnistJsonReader.ReadDigitFolder(_temp.Path));
        Assert.StartsWith(_temp.File("1.json") + ": ", e.Message);
    }
}
