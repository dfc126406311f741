using System.Globalization;
using System.Text;

namespace FaceService.Core.Naming;

/// <summary>
/// The Unicode rule every name follows. Names are stored and compared in NFC, so "José" typed on Linux (U+00E9) and
/// from a macOS folder name (e + U+0301) are one person. Control (Cc) and invisible formatting (Cf) characters are
/// refused: a right-to-left override or a zero-width joiner makes two different ids look the same in logs and UIs.
/// Unpaired surrogates are refused too (they are not text, and cannot be normalised).
/// </summary>
internal static class NameText
{
    /// <returns>The text in NFC, or null with <paramref name="problem"/> saying why it is not a name.</returns>
    public static string? Normalize(string text, string what, out string? problem)
    {
        for (var i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                problem = $"{what} is not valid Unicode text (an unpaired surrogate at position {i + 1}).";
                return null;
            }
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format)
            {
                problem = $"{what} may not contain control or invisible formatting characters (U+{rune.Value:X4} at position {i + 1}).";
                return null;
            }
            i += used;
        }
        problem = null;
        return text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
    }
}
