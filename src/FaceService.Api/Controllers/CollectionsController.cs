using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Security;
using FaceService.Api.Swagger;
using FaceService.Core.Naming;
using FaceService.Core.Security;
using FaceService.Core.Services;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>Collections: separate galleries of subjects (a collection exists while it holds faces).</summary>
[Tags("Collections")]
[ProducesProblem(ErrorCodes.DatabaseUnavailable)]
[RequireRole(ApiKeyRole.Read)]
public sealed class CollectionsController(FaceCatalogService catalog) : ApiControllerBase
{
    /// <summary>List the collections with their subject and face counts (those the key may read).</summary>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">Every collection that holds faces and is in the key's scope.</response>
    [HttpGet("collections")]
    [ProducesResponseType<CollectionsResponse>(StatusCodes.Status200OK, "application/json")]
    public async Task<CollectionsResponse> ListCollections(CancellationToken ct)
    {
        return new() { Collections = (await catalog.ListCollectionsAsync(HttpContext.Caller().Scope, ct)).Select(CollectionDto.From).ToList() };
    }

    /// <summary>Delete a collection: every stored face in it (admin role).</summary>
    /// <param name="collection">The collection name.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">How many faces were deleted.</response>
    [HttpDelete("collections/{collection}")]
    [RequireRole(ApiKeyRole.Admin)]
    [ProducesResponseType<DeleteCollectionResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.CollectionNotFound)]
    public async Task<DeleteCollectionResponse> DeleteCollection(CollectionName collection, CancellationToken ct)
    {
        var removed = await catalog.DeleteCollectionAsync(collection, HttpContext.AuditActor(), ct);
        return new() { Collection = collection.Value, DeletedFaces = removed };
    }
}
