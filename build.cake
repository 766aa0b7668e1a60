// Build script: `dotnet tool restore && dotnet cake --target=<Build|Test|Bench>`.
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");

void Dotnet(string arguments)
{
    var exit = StartProcess("dotnet", new ProcessSettings { Arguments = arguments });
    if (exit != 0) throw new Exception($"dotnet {arguments} failed with exit code {exit}");
}

Task("Build")
    .Does(() => Dotnet($"build RawDiffusion.sln -c {configuration}"));

Task("Test")
    .IsDependentOn("Build")
    .Does(() => Dotnet($"test -c {configuration} --no-build"));

Task("Bench")
    .IsDependentOn("Build")
    .Does(() => Dotnet($"run -c {configuration} --no-build --project tools/Bench -- {Argument("bench", "all")}"));

RunTarget(target);
