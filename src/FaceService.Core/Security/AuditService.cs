using FaceService.Core.Naming;
using FaceService.Core.Services;

namespace FaceService.Core.Security;

/// <summary>Reading the audit log within the caller's reach: an admin key scoped to some collections sees only theirs.</summary>
public sealed class AuditService(IAuditLog log)
{
    public const int DefaultLimit = 100;

    /// <summary>Most records one query returns.</summary>
    public const int MaxLimit = 1000;

    /// <param name="collection">Only this collection's records; null: every collection <paramref name="scope"/> administers.</param>
    public Task<IReadOnlyList<AuditRecord>> QueryAsync(CollectionName? collection, int? limit, ApiKeyScope scope, CancellationToken ct = default)
    {
        var count = limit ?? DefaultLimit;
        if (count is < 1 or > MaxLimit)
            throw new FaceServiceException(FaceServiceError.ValidationFailed, $"limit must be between 1 and {MaxLimit}.", "limit");
        if (collection is { Value: var only })
        {
            if (!scope.Allows(ApiKeyRole.Admin, only))
                throw new FaceServiceException(FaceServiceError.Forbidden, $"This key may not admin collection '{only}'.", "collection");
            return log.QueryAsync([only], count, ct);
        }
        return log.QueryAsync(scope.CoversAllCollections ? null : scope.Collections, count, ct);
    }
}
