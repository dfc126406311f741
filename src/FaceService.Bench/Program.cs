using FaceService.Bench;

// Timings of FaceService's hot paths on this machine: `dotnet run -c Release --project src/FaceService.Bench -- <mode> [--option value]…`.
// Each mode lives in its own file; add one by adding a line here.
var modes = new Dictionary<string, Func<BenchArguments, int>>(StringComparer.OrdinalIgnoreCase)
{
    ["accuracy"] = AccuracyBenchmark.Run,
    ["calibrate"] = CalibrationBenchmark.Run,
    ["cluster"] = ClusterBenchmark.Run,
    ["detectors"] = DetectorBenchmark.Run,
    ["dlib-box-fit"] = DlibBoxFit.Run,
    ["dlib-pipeline"] = DlibPipelineBenchmark.Run,
    ["export-rgb"] = RgbExport.Run,
    ["flops"] = ModelFlops.Run,
    ["identification"] = IdentificationBenchmark.Run,
    ["load"] = LoadTest.Run,
    ["pipeline"] = PipelineBenchmark.Run,
    ["search"] = SearchBenchmark.Run,
};

if (args.Length == 0 || !modes.TryGetValue(args[0], out var mode))
{
    Console.Error.WriteLine($"usage: FaceService.Bench <{string.Join('|', modes.Keys)}> [--option value]...");
    return 2;
}
try
{
    return mode(BenchArguments.Parse(args[1..]));
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
