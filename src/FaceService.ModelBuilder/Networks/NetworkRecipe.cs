using FaceService.ModelBuilder.Onnx;
using FaceService.ModelBuilder.Tfjs;

namespace FaceService.ModelBuilder.Networks;

/// <summary>A graph input as the service feeds it.</summary>
public sealed record ModelInput(string Name, IReadOnlyList<OnnxDim> Shape, string Values, string Normalisation);

/// <summary>A graph output and what its numbers mean.</summary>
public sealed record ModelOutput(string Name, IReadOnlyList<OnnxDim> Shape, string Meaning);

/// <summary>How one trained network from an npm package becomes one ONNX file.</summary>
public abstract class NetworkRecipe
{
    /// <summary>The symbolic batch dimension of every input and output.</summary>
    public static readonly OnnxDim Batch = OnnxDim.Named("N");

    /// <summary>Short name, also the output file name without ".onnx".</summary>
    public abstract string Name { get; }

    /// <summary>The package the trained weights come from.</summary>
    public abstract SourcePackage Package { get; }

    /// <summary>The file the network is read from, relative to the unpacked package.</summary>
    public abstract string SourceFile { get; }

    /// <summary>Who trained the weights and under which licence they are distributed.</summary>
    public abstract string Origin { get; }

    public abstract ModelInput Input { get; }

    public abstract IReadOnlyList<ModelOutput> Outputs { get; }

    public string OutputFile => Name + ".onnx";

    /// <summary>How the ONNX metadata names <see cref="SourceFile"/>.</summary>
    public virtual string SourceFileMetadataKey => "source_file";

    /// <summary>Metadata entries of this variant beyond the common ones (none for the networks as trained).</summary>
    public virtual IReadOnlyList<KeyValuePair<string, string>> ExtraMetadata => [];

    /// <summary>Adds the network read from the unpacked package to <paramref name="graph"/>, input and outputs included.</summary>
    public abstract void Build(string packageDir, GraphBuilder graph);

    protected string DeclareInput(GraphBuilder graph) => graph.Input(Input.Name, [.. Input.Shape]);

    protected void DeclareOutput(GraphBuilder graph, int index, string value) =>
        graph.Output(value, Outputs[index].Name, [.. Outputs[index].Shape]);
}

/// <summary>A face-api network: TensorFlow.js weights rebuilt layer by layer after face-api's TypeScript.</summary>
public abstract class TfjsNetworkRecipe : NetworkRecipe
{
    public override SourcePackage Package => SourcePackages.FaceApi;

    /// <summary>The tfjs weights manifest, relative to the package's model/ folder.</summary>
    public abstract string SourceManifest { get; }

    public override string SourceFile => "model/" + SourceManifest;

    // The key face-api's models have always carried: another key would change their bytes, and the recognition model's
    // sha256 is part of the id stored with every embedding.
    public override string SourceFileMetadataKey => "source_manifest";

    public sealed override void Build(string packageDir, GraphBuilder graph)
    {
        var weights = TfjsWeightMap.Load(Path.Combine(packageDir, SourceFile));
        Build(weights, graph);
        IReadOnlyList<string> unused = weights.Unused();
        if (unused.Count > 0)
        {
            Console.WriteLine($"{Name}: not used by the network: {string.Join(", ", unused)}");
        }
    }

    public abstract void Build(TfjsWeightMap weights, GraphBuilder graph);

    /// <summary>(x - meanRgb) / 255, face-api's normalisation for the recognition and landmark nets.</summary>
    protected static string SubtractMeanRgbAndScale(GraphBuilder graph, string input)
    {
        string mean = graph.Initializer("mean_rgb", MeanRgb, 1, 3, 1, 1);
        return graph.Div(graph.Sub(input, mean), graph.Scalar("255", 255f));
    }

    /// <summary>The RGB mean face-api subtracts before dividing by 255.</summary>
    protected static readonly float[] MeanRgb = [122.782f, 117.001f, 104.298f];

    public const string MeanRgbNormalisation = "(x - [122.782, 117.001, 104.298]) / 255 per RGB channel, inside the graph";
}
