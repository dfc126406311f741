using System.Runtime.InteropServices;
using System.Text;

namespace FaceService.Inference.Landmarks;

/// <summary>
/// The parameters of a dlib <c>shape_predictor</c> (an ensemble of regression trees, Kazemi and Sullivan 2014) in flat
/// arrays, and their file format: models/build.sh converts dlib's own serialization (100 MB of variable-length
/// integers) once into this file, which loads with a few bulk reads.
/// </summary>
/// <remarks>
/// File layout, every number little-endian: the 8 ASCII bytes <c>FSDLIBSP</c>; int32 format version (1); int32 parts,
/// cascades, trees per cascade, tree depth, feature pixels per cascade; then the arrays below in this order, int32 or
/// float32, with the lengths their comments give. Shapes are x0, y0, x1, y1, … in the box's normalised coordinates
/// ((0,0) = the box's top-left corner, (1,1) = its bottom-right corner). Trees are complete binary trees in dlib's
/// layout: the children of split node i are 2i+1 and 2i+2, and node index − split count is the leaf.
/// </remarks>
public sealed class DlibShapePredictorModel
{
    private static readonly byte[] Magic = "FSDLIBSP"u8.ToArray();
    private const int FormatVersion = 1;

    public DlibShapePredictorModel(int parts, int cascades, int treesPerCascade, int treeDepth, int featuresPerCascade,
        float[] initialShape, int[] anchorIndices, float[] anchorDeltas, int[] splitFeatures, float[] splitThresholds, float[] leafValues)
    {
        if (parts < 1 || cascades < 1 || treesPerCascade < 1 || treeDepth is < 1 or > 16 || featuresPerCascade < 2)
            throw new InvalidDataException($"Implausible shape predictor dimensions: {parts} parts, {cascades} cascades, " +
                                           $"{treesPerCascade} trees, depth {treeDepth}, {featuresPerCascade} features.");
        (Parts, Cascades, TreesPerCascade, TreeDepth, FeaturesPerCascade) = (parts, cascades, treesPerCascade, treeDepth, featuresPerCascade);
        InitialShape = Require(initialShape, 2 * parts, nameof(initialShape));
        AnchorIndices = Require(anchorIndices, cascades * featuresPerCascade, nameof(anchorIndices));
        AnchorDeltas = Require(anchorDeltas, 2 * cascades * featuresPerCascade, nameof(anchorDeltas));
        SplitFeatures = Require(splitFeatures, 2 * cascades * treesPerCascade * SplitsPerTree, nameof(splitFeatures));
        SplitThresholds = Require(splitThresholds, cascades * treesPerCascade * SplitsPerTree, nameof(splitThresholds));
        LeafValues = Require(leafValues, (long)cascades * treesPerCascade * LeavesPerTree * 2 * parts, nameof(leafValues));
        if (anchorIndices.Any(a => a < 0 || a >= parts))
            throw new InvalidDataException("A feature pixel is anchored to a part the shape does not have.");
        if (splitFeatures.Any(f => f < 0 || f >= featuresPerCascade))
            throw new InvalidDataException("A split compares a feature pixel the cascade does not have.");
    }

    public int Parts { get; }
    public int Cascades { get; }
    public int TreesPerCascade { get; }
    public int TreeDepth { get; }
    public int FeaturesPerCascade { get; }
    public int SplitsPerTree => (1 << TreeDepth) - 1;
    public int LeavesPerTree => 1 << TreeDepth;

    /// <summary>The mean shape every prediction starts from: 2 × parts.</summary>
    public float[] InitialShape { get; }

    /// <summary>Per cascade and feature pixel: the part of the initial shape the pixel is anchored to. Cascades × features.</summary>
    public int[] AnchorIndices { get; }

    /// <summary>Per cascade and feature pixel: its offset (x, y) from that part in the initial shape. 2 × cascades × features.</summary>
    public float[] AnchorDeltas { get; }

    /// <summary>Per cascade, tree and split: the two feature pixels whose intensity difference is tested. 2 × cascades × trees × splits.</summary>
    public int[] SplitFeatures { get; }

    /// <summary>Per cascade, tree and split: the threshold; a difference above it goes to the left child. Cascades × trees × splits.</summary>
    public float[] SplitThresholds { get; }

    /// <summary>Per cascade, tree and leaf: the shape increment (2 × parts). Cascades × trees × leaves × 2 × parts.</summary>
    public float[] LeafValues { get; }

    public static DlibShapePredictorModel Load(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream);
    }

    public static DlibShapePredictorModel Read(Stream stream)
    {
        var magic = new byte[Magic.Length];
        stream.ReadExactly(magic);
        if (!magic.AsSpan().SequenceEqual(Magic))
            throw new InvalidDataException($"Not a FaceService shape predictor file (it does not start with '{Encoding.ASCII.GetString(Magic)}').");
        var header = ReadArray<int>(stream, 6);
        if (header[0] != FormatVersion)
            throw new InvalidDataException($"Shape predictor file format {header[0]}; this build reads format {FormatVersion}.");
        var (parts, cascades, trees, depth, features) = (header[1], header[2], header[3], header[4], header[5]);
        if (parts is < 1 or > 10_000 || cascades is < 1 or > 1000 || trees is < 1 or > 100_000 || depth is < 1 or > 16 || features is < 2 or > 1_000_000)
            throw new InvalidDataException("Implausible shape predictor dimensions in the file header.");
        long splits = (long)cascades * trees * ((1 << depth) - 1);
        var model = new DlibShapePredictorModel(parts, cascades, trees, depth, features,
            initialShape: ReadArray<float>(stream, 2L * parts),
            anchorIndices: ReadArray<int>(stream, (long)cascades * features),
            anchorDeltas: ReadArray<float>(stream, 2L * cascades * features),
            splitFeatures: ReadArray<int>(stream, 2 * splits),
            splitThresholds: ReadArray<float>(stream, splits),
            leafValues: ReadArray<float>(stream, (long)cascades * trees * (1 << depth) * 2 * parts));
        if (stream.ReadByte() != -1) throw new InvalidDataException("The shape predictor file has bytes after its last array.");
        return model;
    }

    public void Write(Stream stream)
    {
        stream.Write(Magic);
        WriteArray(stream, new[] { FormatVersion, Parts, Cascades, TreesPerCascade, TreeDepth, FeaturesPerCascade });
        WriteArray(stream, InitialShape);
        WriteArray(stream, AnchorIndices);
        WriteArray(stream, AnchorDeltas);
        WriteArray(stream, SplitFeatures);
        WriteArray(stream, SplitThresholds);
        WriteArray(stream, LeafValues);
    }

    private static T[] Require<T>(T[] array, long length, string name) =>
        array.LongLength == length ? array : throw new InvalidDataException($"{name} has {array.LongLength} values; expected {length}.");

    // The format is little-endian, as every platform .NET runs FaceService on.
    private static T[] ReadArray<T>(Stream stream, long length) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The shape predictor file is read on little-endian machines only.");
        var array = new T[length];
        stream.ReadExactly(MemoryMarshal.AsBytes(array.AsSpan()));
        return array;
    }

    private static void WriteArray<T>(Stream stream, T[] array) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The shape predictor file is written on little-endian machines only.");
        stream.Write(MemoryMarshal.AsBytes(array.AsSpan()));
    }
}
