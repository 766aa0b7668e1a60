using RawDiffusion.Tests.IO;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Training;

/// <summary>The "# note" lines a metrics file carries (the device each part of a run trained on).</summary>
public class MetricsCsvNoteTests
{
    static Dictionary<string, double> Row(double loss) => new() { ["loss"] = loss };

    [Fact]
    public void EachWriterWritesItsNoteBeforeItsRowsAndReadersSkipNotes()
    {
        using var folder = new TempFolder();
        string path = folder.File("vae.csv");
        using (var csv = new MetricsCsv(path) { Note = "device: CPU (test)" })
        {
            csv.Append(0, Row(3));
            csv.Append(1, Row(2));
        }
        using (var csv = new MetricsCsv(path) { Note = "device: CUDA: test GPU" }) csv.Append(2, Row(1));

        Assert.Equal(["# device: CPU (test)", "step,loss", "0,3", "1,2", "# device: CUDA: test GPU", "2,1"], File.ReadAllLines(path));
        Assert.Equal([0L, 1, 2], MetricsCsv.ReadAll(path).Select(r => r.Step));
        Assert.Equal(["device: CPU (test)", "device: CUDA: test GPU"], MetricsCsv.ReadNotes(path));
    }

    [Fact]
    public void AResumeWithTheSameNoteAddsNoLine()
    {
        using var folder = new TempFolder();
        string path = folder.File("vae.csv");
        using (var csv = new MetricsCsv(path) { Note = "device: CPU (test)" }) csv.Append(0, Row(3));
        using (var csv = new MetricsCsv(path) { Note = "device: CPU (test)" }) csv.Append(1, Row(2));
        Assert.Equal(["# device: CPU (test)", "step,loss", "0,3", "1,2"], File.ReadAllLines(path));
    }

    [Fact]
    public void DroppingRowsKeepsTheNotesBeforeTheCutAndErrorsCountNoteLines()
    {
        using var folder = new TempFolder();
        string path = folder.File("vae.csv");
        using (var csv = new MetricsCsv(path) { Note = "device: one" })
            for (int step = 0; step < 3; step++) csv.Append(step, Row(step));
        using (var csv = new MetricsCsv(path) { Note = "device: two" }) csv.Append(3, Row(3));

        using (var csv = new MetricsCsv(path)) csv.DropFrom(2);
        Assert.Equal(["# device: one", "step,loss", "0,0", "1,1"], File.ReadAllLines(path));

        File.AppendAllText(path, "2,oops\n");
        var error = Assert.Throws<FormatException>(() => MetricsCsv.ReadAll(path));
        Assert.Contains("line 5", error.Message);
    }
}
