using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

public class DataLocatorTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _repositoryData;
    private readonly string _insideRepository;
    private readonly string _outsideRepository;
    private readonly string _explicitRoot;
    private readonly string _environmentRoot;

    public DataLocatorTests()
    {
        string repository = _temp.Folder("repo");
        File.WriteAllText(Path.Combine(repository, DataLocator.RepositoryMarker), "");
        _repositoryData = _temp.Folder("repo/data");
        _insideRepository = _temp.Folder("repo/tests/bin/Release");
        _outsideRepository = _temp.Folder("elsewhere");
        _explicitRoot = _temp.Folder("explicit");
        _environmentRoot = _temp.Folder("from-env");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ExplicitPathComesFirst() =>
        Assert.Equal(_explicitRoot, DataLocator.FindDataRoot(_explicitRoot, _environmentRoot, [_insideRepository]));

    [Fact]
    public void EnvironmentVariableComesBeforeTheRepository() =>
        Assert.Equal(_environmentRoot, DataLocator.FindDataRoot(null, _environmentRoot, [_insideRepository]));

    [Fact]
    public void RepositoryDataFolderIsFoundByWalkingUp() =>
        Assert.Equal(_repositoryData, DataLocator.FindDataRoot(null, null, [_insideRepository]));

    [Fact]
    public void LaterWalkStartIsTriedWhenTheFirstIsOutsideAnyRepository() =>
        Assert.Equal(_repositoryData, DataLocator.FindDataRoot("", "  ", [_outsideRepository, _insideRepository]));

    [Fact]
    public void MissingExplicitOrEnvironmentFolderIsAnErrorNotAFallback()
    {
        string missing = Path.Combine(_temp.Path, "missing");

        var fromArgument = Assert.Throws<DirectoryNotFoundException>(() => DataLocator.FindDataRoot(missing, _environmentRoot, [_insideRepository]));
        var fromEnvironment = Assert.Throws<DirectoryNotFoundException>(() => DataLocator.FindDataRoot(null, missing, [_insideRepository]));

        Assert.StartsWith(missing + ": ", fromArgument.Message);
        Assert.StartsWith(missing + ": ", fromEnvironment.Message);
        Assert.Contains(DataLocator.EnvironmentVariable, fromEnvironment.Message);
    }

    [Fact]
    public void ErrorListsEveryPlaceItLooked()
    {
        Directory.Delete(_repositoryData);

        var e = Assert.Throws<DirectoryNotFoundException>(() => DataLocator.FindDataRoot(null, null, [_outsideRepository, _insideRepository]));

        Assert.Contains("no root argument given", e.Message);
        Assert.Contains("RAWDIFFUSION_DATA is not set", e.Message);
        Assert.Contains($"no RawDiffusion.sln in {_outsideRepository} or any folder above it", e.Message);
        Assert.Contains($"the repository {Path.Combine(_temp.Path, "repo")} has no data/ folder", e.Message);
    }

    [Fact]
    public void TestBinariesLiveInsideTheRepositoryWithItsDataFolder()
    {
        string? repository = DataLocator.FindRepositoryRoot(AppContext.BaseDirectory);
        Assert.NotNull(repository);
        Assert.True(Directory.Exists(Path.Combine(repository, "data", Datasets.FashionMnistFolder)));
    }
}
