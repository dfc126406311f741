using FaceService.CommandLine;
using FaceService.Bench;

// Timings of FaceService's hot paths on this machine: `dotnet run -c Release --project src/FaceService.Bench -- <mode> [--option value]…`.
// Each mode lives in its own file; add one by adding a line here.
var modes = new Dictionary<string, Func<ToolArguments, int>>(StringComparer.OrdinalIgnoreCase)
{
    ["accuracy"] = AccuracyBenchmark.Run,
    ["calibrate"] = CalibrationBenchmark.Run,
    ["cluster"] = ClusterBenchmark.Run,
    ["clustering"] = ClusteringQualityBenchmark.Run,
    ["compare"] = CompareBenchmark.Run,
    ["detectors"] = DetectorBenchmark.Run,
    ["dlib-box-fit"] = DlibBoxFit.Run,
    ["dlib-pipeline"] = DlibPipelineBenchmark.Run,
    ["export-chips"] = ChipExport.Run,
    ["export-rgb"] = RgbExport.Run,
    ["flops"] = ModelFlops.Run,
    ["graph"] = GraphBenchmark.Run,
    ["identification"] = IdentificationBenchmark.Run,
    ["int8"] = Int8Benchmark.Run,
    ["incremental"] = IncrementalClusteringBenchmark.Run,
    ["load"] = LoadTest.Run,
    ["people"] = PeopleBenchmark.Run,
    ["pipeline"] = PipelineBenchmark.Run,
    ["quality"] = QualityBenchmark.Run,
    ["search"] = SearchBenchmark.Run,
    ["tenants"] = TenantsBenchmark.Run,
};

if (args.Length == 0 || !modes.TryGetValue(args[0], out var mode))
{
    Console.Error.WriteLine($"usage: FaceService.Bench <{string.Join('|', modes.Keys)}> [--option value]...");
    return 2;
}
try
{
    // A mode reads the options it needs as it goes; one it never read was mistyped or belongs to another mode.
    var arguments = ToolArguments.Parse(args[1..], positionals: 0, options: null, flags: new HashSet<string>());
    var status = mode(arguments);
    foreach (var unread in arguments.Unread) Console.Error.WriteLine($"warning: {unread} was given but not used by mode {args[0]}");
    return status;
}
catch (Exception e) when (e is UsageException or ArgumentException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
