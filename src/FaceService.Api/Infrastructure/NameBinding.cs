using System.Text.Json;
using System.Text.Json.Serialization;
using FaceService.Core.Naming;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace FaceService.Api.Infrastructure;

/// <summary>
/// Makes <see cref="CollectionName"/> and <see cref="SubjectId"/> (and their nullable forms) from route, query and form
/// values: the one place the API turns a caller's text into a name. An absent or empty value binds nothing (the
/// property keeps its default: the default collection, or null); an invalid one is a model error with the name's rule,
/// answered as 400 validation_failed before the action runs.
/// </summary>
public sealed class NameModelBinderProvider : IModelBinderProvider
{
    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        var type = Nullable.GetUnderlyingType(context.Metadata.ModelType) ?? context.Metadata.ModelType;
        return type == typeof(CollectionName) ? new NameModelBinder<CollectionName>()
            : type == typeof(SubjectId) ? new NameModelBinder<SubjectId>()
            : null;
    }

    private sealed class NameModelBinder<TName> : IModelBinder where TName : struct, INameValue<TName>
    {
        public Task BindModelAsync(ModelBindingContext context)
        {
            var value = context.ValueProvider.GetValue(context.ModelName);
            if (value == ValueProviderResult.None || string.IsNullOrEmpty(value.FirstValue)) return Task.CompletedTask;
            context.ModelState.SetModelValue(context.ModelName, value);
            if (TName.TryCreate(value.FirstValue, out var problem) is { } name) context.Result = ModelBindingResult.Success(name);
            else context.ModelState.TryAddModelError(context.ModelName, problem!);
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// The same names in JSON bodies: a string, checked by the name's rule. Absent, the property keeps its default; null is
/// read as no name (the default collection; for a subject id, its rule's "required").
/// </summary>
public sealed class NameJsonConverter<TName> : JsonConverter<TName> where TName : struct, INameValue<TName>
{
    public override bool HandleNull => true;

    public override TName Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null)) throw new JsonException("Expected a string.");
        return TName.TryCreate(reader.GetString(), out var problem) ?? throw new JsonException(problem);
    }

    public override void Write(Utf8JsonWriter writer, TName value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}
