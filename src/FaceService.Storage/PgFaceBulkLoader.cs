using FaceService.Core.Naming;
using System.Buffers.Binary;
using FaceService.Core.Embeddings;
using FaceService.Core.Storage;
using Npgsql;
using static FaceService.Storage.StoreInput;

namespace FaceService.Storage;

/// <summary>Loads many faces at once with binary COPY: for first imports of large galleries, the benchmarks and the tests.</summary>
public sealed class PgFaceBulkLoader(PgDatabase database)
{
    private const int CodeLength = EmbeddingQuantizer.Dimensions;

    /// <summary>
    /// Appends faces with binary COPY: the fast path for a first import of many faces (tens of thousands per second,
    /// against a few thousand through <see cref="PgFaceStore.EnrollAsync"/>). One transaction; unlike enrollment it is not
    /// idempotent: a face already stored (same collection, subject, image and model) fails the whole load with
    /// <see cref="PostgresException"/> 23505. Faster still into a table without the search index, built afterwards.
    /// </summary>
    /// <returns>The number of faces stored.</returns>
    public async Task<long> BulkLoadAsync(CollectionName collection, string modelId, IEnumerable<NewFace> faces, CancellationToken ct = default)
    {
        RequireModelId(modelId);
        ArgumentNullException.ThrowIfNull(faces);
        return await PgCommands.WriteAsync(database, async (connection, token) =>
        {
            await using var import = await connection.BeginBinaryImportAsync(
                "COPY faces (face_id, collection, subject, model_id, code, embedding, box_x, box_y, box_width, box_height, score, image_sha256) " +
                "FROM STDIN (FORMAT BINARY)", token);
            // A load's run time grows with its size (every new subject's template enters the search index), so the
            // per-command timeout meant for single statements would cut large loads short: the caller's token bounds it.
            import.Timeout = TimeSpan.Zero;
            var embedding = new byte[HalfvecBinaryLength];
            var index = 0;
            foreach (var face in faces)
            {
                var target = $"faces[{index++}]";
                RequireFace(face, target);
                await import.StartRowAsync(token);
                await import.WriteAsync(Guid.CreateVersion7(), NpgsqlTypes.NpgsqlDbType.Uuid, token);
                await import.WriteAsync(collection.Value, NpgsqlTypes.NpgsqlDbType.Text, token);
                await import.WriteAsync(face.Subject.Value, NpgsqlTypes.NpgsqlDbType.Text, token);
                await import.WriteAsync(modelId, NpgsqlTypes.NpgsqlDbType.Text, token);
                await import.WriteAsync(FaceRows.CodeBytes(face.Code), NpgsqlTypes.NpgsqlDbType.Bytea, token);
                // Binary COPY fields carry no type: the server reads these bytes with halfvec's own receive function.
                WriteHalfvecBinary(face.Code, embedding);
                await import.WriteAsync(embedding, NpgsqlTypes.NpgsqlDbType.Bytea, token);
                await import.WriteAsync(face.Box.X, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.Box.Y, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.Box.Width, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.Box.Height, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.Score, NpgsqlTypes.NpgsqlDbType.Real, token);
                await import.WriteAsync(face.ImageSha256, NpgsqlTypes.NpgsqlDbType.Text, token);
            }
            return (long)await import.CompleteAsync(token);
        }, ct);
    }

    private const int HalfvecBinaryLength = 4 + 2 * CodeLength;

    /// <summary>
    /// The code as pgvector's binary halfvec (what face_code_to_halfvec returns): int16 dimensions, int16 zero, then one
    /// IEEE half per byte value, all big-endian. Every integer -128..127 is exact in a half.
    /// </summary>
    private static void WriteHalfvecBinary(sbyte[] code, byte[] target)
    {
        BinaryPrimitives.WriteInt16BigEndian(target, CodeLength);
        BinaryPrimitives.WriteInt16BigEndian(target.AsSpan(2), 0);
        for (var i = 0; i < CodeLength; i++)
            BinaryPrimitives.WriteHalfBigEndian(target.AsSpan(4 + 2 * i), (Half)code[i]);
    }
}
