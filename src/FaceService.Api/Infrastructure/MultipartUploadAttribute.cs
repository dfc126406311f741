using FaceService.Api.Errors;
using System.Reflection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;

namespace FaceService.Api.Infrastructure;

/// <summary>
/// Reads a multipart body under the API's limits before model binding, so that an oversized file, too many files or
/// a broken body is answered with its own problem (413 payload_too_large / too_many_files, 400 validation_failed)
/// instead of surfacing as a binding error or a 500. Files over the per-file limit are cut off while streaming, not
/// after buffering.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class MultipartUploadAttribute : Attribute, IFilterFactory
{
    public bool IsReusable => true;

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        new MultipartUploadFilter(serviceProvider.GetRequiredService<IOptions<ApiLimitsOptions>>().Value);

    private sealed class MultipartUploadFilter(ApiLimitsOptions limits) : IAsyncResourceFilter
    {
        private readonly FormOptions _formOptions = new()
        {
            // Per multipart section: each file (and each text field) is checked as it streams in.
            MultipartBodyLengthLimit = limits.MaxFileBytes,
            ValueCountLimit = limits.MaxFilesPerRequest + 64,
        };

        public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
        {
            var http = context.HttpContext;
            // Anything but multipart never gets here on a multipart-only action ([Consumes] answers 415 first).
            if (!http.Request.HasFormContentType)
            {
                await next();
                return;
            }

            IFormCollection form;
            try
            {
                form = await http.Request.ReadFormAsync(_formOptions, http.RequestAborted);
            }
            catch (InvalidDataException e) when (e.Message.Contains("count limit", StringComparison.OrdinalIgnoreCase))
            {
                context.Result = ApiProblems.Result(http, ErrorCatalog.TooManyFiles,
                    $"The form has too many parts; at most {limits.MaxFilesPerRequest} files per request.");
                return;
            }
            catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
            {
                context.Result = ApiProblems.Result(http, ErrorCatalog.PayloadTooLarge,
                    $"A file or field is larger than the limit of {limits.MaxFileBytes} bytes per file.");
                return;
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                context.Result = ApiProblems.Result(http, ErrorCatalog.PayloadTooLarge,
                    $"The request body is larger than the limit of {limits.MaxRequestBytes} bytes.");
                return;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
            {
                context.Result = ApiProblems.Result(http, ErrorCatalog.ValidationFailed, $"The multipart body could not be read: {e.Message}");
                return;
            }

            if (form.Files.Count > limits.MaxFilesPerRequest)
            {
                context.Result = ApiProblems.Result(http, ErrorCatalog.TooManyFiles,
                    $"{form.Files.Count} files uploaded; at most {limits.MaxFilesPerRequest} per request.");
                return;
            }
            // Text where a file belongs: a form sent without choosing a file (Swagger UI sends its placeholder,
            // "string"). Said as such, rather than as a missing field or an unreadable image.
            if (FileFields(context).FirstOrDefault(name => form.ContainsKey(name)) is { } field)
            {
                context.Result = ApiProblems.Result(http, ErrorCatalog.ValidationFailed,
                    $"'{field}' must be a file, but the form sent text there: choose a photo for every '{field}' entry, or remove the empty ones.", field);
                return;
            }
            await next();
        }

        /// <summary>The form field names the action binds to files.</summary>
        private static IEnumerable<string> FileFields(ResourceExecutingContext context) =>
            context.ActionDescriptor.Parameters.SelectMany(p => p.ParameterType.GetProperties())
                .Where(p => p.PropertyType == typeof(IFormFile) || typeof(IEnumerable<IFormFile>).IsAssignableFrom(p.PropertyType))
                .Select(p => p.GetCustomAttribute<FromFormAttribute>()?.Name ?? p.Name);
    }
}
