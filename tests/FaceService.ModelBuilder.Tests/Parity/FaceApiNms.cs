namespace FaceService.ModelBuilder.Tests.Parity;

/// <summary>A detection in input pixels: box as x, y, width, height.</summary>
public sealed record PixelDetection(int Anchor, float Score, float[] Box);

/// <summary>
/// face-api's SsdMobilenetv1.locateFaces post-processing on raw (ymin, xmin, ymax, xmax) boxes and scores:
/// its greedy non-maximum suppression and its mapping to pixels of a square input. Kept literal so the parity test
/// compares the network, not two readings of the NMS.
/// </summary>
public static class FaceApiNms
{
    public static IReadOnlyList<PixelDetection> LocateFaces(
        ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, int inputSize, DetectorOptions options)
    {
        // face-api keeps candidates with score > minConfidence, sorted by score (a stable sort, as V8's).
        float[] scoreArray = scores.ToArray();
        int[] order = Enumerable.Range(0, scoreArray.Length)
            .Where(i => scoreArray[i] > options.MinConfidence)
            .OrderByDescending(i => scoreArray[i])
            .ToArray();

        var selected = new List<int>();
        foreach (int candidate in order)
        {
            if (selected.Count >= Math.Min(options.MaxResults, scores.Length))
            {
                break;
            }

            bool suppressed = false;
            for (int j = selected.Count - 1; j >= 0 && !suppressed; j--)
            {
                suppressed = Iou(boxes, candidate, selected[j]) > options.IouThreshold;
            }

            if (!suppressed)
            {
                selected.Add(candidate);
            }
        }

        var detections = new List<PixelDetection>(selected.Count);
        foreach (int i in selected)
        {
            float top = Math.Max(0, boxes[i * 4]) * inputSize;
            float left = Math.Max(0, boxes[i * 4 + 1]) * inputSize;
            float bottom = Math.Min(1, boxes[i * 4 + 2]) * inputSize;
            float right = Math.Min(1, boxes[i * 4 + 3]) * inputSize;
            detections.Add(new PixelDetection(i, scores[i], [left, top, right - left, bottom - top]));
        }

        return detections;
    }

    // In double precision, as face-api's JavaScript numbers.
    private static double Iou(ReadOnlySpan<float> boxes, int i, int j)
    {
        (double yminI, double xminI, double ymaxI, double xmaxI) = Corners(boxes, i);
        (double yminJ, double xminJ, double ymaxJ, double xmaxJ) = Corners(boxes, j);
        double areaI = (ymaxI - yminI) * (xmaxI - xminI);
        double areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
        if (areaI <= 0 || areaJ <= 0)
        {
            return 0;
        }

        double intersection = Math.Max(Math.Min(ymaxI, ymaxJ) - Math.Max(yminI, yminJ), 0)
            * Math.Max(Math.Min(xmaxI, xmaxJ) - Math.Max(xminI, xminJ), 0);
        return intersection / (areaI + areaJ - intersection);
    }

    private static (float Ymin, float Xmin, float Ymax, float Xmax) Corners(ReadOnlySpan<float> boxes, int i)
    {
        ReadOnlySpan<float> b = boxes.Slice(i * 4, 4);
        return (Math.Min(b[0], b[2]), Math.Min(b[1], b[3]), Math.Max(b[0], b[2]), Math.Max(b[1], b[3]));
    }
}
