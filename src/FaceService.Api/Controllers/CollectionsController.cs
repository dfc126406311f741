using FaceService.Api.Contracts;
using FaceService.Api.Errors;
using FaceService.Api.Swagger;
using FaceService.Core.Services;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>Collections: separate galleries of subjects (a collection exists while it holds faces).</summary>
[Tags("Collections")]
[ProducesProblem(ErrorCodes.DatabaseUnavailable)]
public sealed class CollectionsController(FaceCatalogService catalog) : ApiControllerBase
{
    /// <summary>List the collections with their subject and face counts.</summary>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">Every collection that holds faces.</response>
    [HttpGet("collections")]
    [ProducesResponseType<CollectionsResponse>(StatusCodes.Status200OK, "application/json")]
    public async Task<CollectionsResponse> ListCollections(CancellationToken ct) =>
        new() { Collections = (await catalog.ListCollectionsAsync(ct)).Select(CollectionDto.From).ToList() };

    /// <summary>Delete a collection: every stored face in it.</summary>
    /// <param name="collection">The collection name.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="200">How many faces were deleted.</response>
    [HttpDelete("collections/{collection}")]
    [ProducesResponseType<DeleteCollectionResponse>(StatusCodes.Status200OK, "application/json")]
    [ProducesProblem(ErrorCodes.ValidationFailed)]
    [ProducesProblem(ErrorCodes.CollectionNotFound)]
    public async Task<DeleteCollectionResponse> DeleteCollection(string collection, CancellationToken ct) =>
        new() { Collection = collection, DeletedFaces = await catalog.DeleteCollectionAsync(collection, ct) };
}
