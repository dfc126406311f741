using System.Numerics.Tensors;
using FaceService.Core.Embeddings;
using FaceService.Core.Storage;

namespace FaceService.Evaluation;

/// <summary>A person of a labelled set and the codes of their photos' faces.</summary>
public sealed record LabelledPerson(string Name, IReadOnlyList<sbyte[]> Codes);

/// <summary>
/// A gallery of subjects in memory, as the store keeps it: each subject's template (<see cref="SubjectTemplate"/>),
/// searched exactly. What the identification benchmarks and calibration search instead of a database.
/// </summary>
public sealed class InMemoryGallery
{
    private readonly IEmbeddingQuantizer _quantizer;
    private readonly string[] _subjects;
    private readonly int[] _faces;
    private readonly float[] _templates;

    public InMemoryGallery(IEmbeddingQuantizer quantizer, IReadOnlyList<(string Subject, IReadOnlyList<sbyte[]> Codes)> subjects)
    {
        _quantizer = quantizer;
        _subjects = subjects.Select(s => s.Subject).ToArray();
        _faces = subjects.Select(s => s.Codes.Count).ToArray();
        _templates = new float[subjects.Count * EmbeddingQuantizer.Dimensions];
        for (var i = 0; i < subjects.Count; i++)
            SubjectTemplate.Combine(quantizer, subjects[i].Codes).CopyTo(_templates.AsSpan(i * EmbeddingQuantizer.Dimensions));
    }

    public int Count => _subjects.Length;

    /// <summary>The k subjects nearest to the code, nearest first (ties by subject), as the store answers.</summary>
    public IReadOnlyList<SubjectMatch> Nearest(sbyte[] code, int k)
    {
        var probe = _quantizer.Dequantize(code);
        // A bounded max-heap of the k nearest so far.
        var heap = new PriorityQueue<int, (float Distance, string Subject)>(k + 1,
            Comparer<(float Distance, string Subject)>.Create((a, b) => b.Distance != a.Distance ? b.Distance.CompareTo(a.Distance) : string.CompareOrdinal(b.Subject, a.Subject)));
        for (var i = 0; i < _subjects.Length; i++)
        {
            var distance = Math.Clamp(2 - 2 * TensorPrimitives.Dot(probe, _templates.AsSpan(i * EmbeddingQuantizer.Dimensions, EmbeddingQuantizer.Dimensions)), 0f, 4f);
            heap.Enqueue(i, (distance, _subjects[i]));
            if (heap.Count > k) heap.Dequeue();
        }
        var nearest = new SubjectMatch[heap.Count];
        for (var j = nearest.Length - 1; j >= 0; j--)
        {
            heap.TryDequeue(out var i, out var key);
            nearest[j] = new SubjectMatch(_subjects[i], _faces[i], key.Distance);
        }
        return nearest;
    }
}
