using FaceService.Api.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FaceService.Api.Tests.Swagger;

/// <summary>
/// Swagger UI as a person meets it, in a real browser (Playwright for .NET driving Debian's Chromium, installed by
/// scripts/test.sh): authorize with the key, pick two photos with file pickers, enroll, and get a plain answer when a
/// picker is left empty.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SwaggerUiTests(ApiFactory shared)
{
    private const string Collection = "apitest-swagger-ui";
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task A_person_enrolls_two_photos_through_Swagger_UI_with_file_pickers()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/test.sh installs Debian's chromium package.");
        await shared.ResetCollectionAsync(Collection);
        await using var factory = new ApiFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        var baseUrl = factory.CreateClient().BaseAddress!;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });

        // The form: examples that cannot land in real data, and the photos as a list of files.
        var enroll = await OpenEnrollAsync(browser, baseUrl);
        var body = enroll.Locator(".opblock-section-request-body");
        await Assertions.Expect(body.Locator("input[placeholder=subject]")).ToHaveValueAsync("example-person");
        await Assertions.Expect(body.Locator("input[placeholder=collection]")).ToHaveValueAsync("swagger-try-out");
        await Assertions.Expect(body).ToContainTextAsync("array<file>");
        await Assertions.Expect(body).Not.ToContainTextAsync("Add string item");

        var person = DevPhotos.People.First(p => p.Photos.Count >= 3);
        await body.Locator("input[placeholder=subject]").FillAsync("swagger-ui-person");
        await body.Locator("input[placeholder=collection]").FillAsync(Collection);
        await body.GetByRole(AriaRole.Button, new() { Name = "Add a file" }).ClickAsync();
        var pickers = body.Locator("input[type=file]");
        await Assertions.Expect(pickers).ToHaveCountAsync(2);
        await pickers.Nth(0).SetInputFilesAsync(person.Photos[0]);
        await pickers.Nth(1).SetInputFilesAsync(person.Photos[1]);
        await enroll.GetByRole(AriaRole.Button, new() { Name = "Execute" }).ClickAsync();

        await Assertions.Expect(enroll.Locator(".live-responses-table tbody .response-col_status")).ToHaveTextAsync("201", new() { Timeout = 60_000 });
        Assert.Equal(2, await shared.CountFacesAsync(Collection));

        // Executed with the picker left empty (the browser then sends the placeholder text "string"): the answer says
        // what to do, and nothing is stored.
        var empty = await OpenEnrollAsync(browser, baseUrl);
        await empty.Locator("input[placeholder=subject]").FillAsync("swagger-ui-nobody");
        await empty.Locator("input[placeholder=collection]").FillAsync(Collection);
        await empty.GetByRole(AriaRole.Button, new() { Name = "Execute" }).ClickAsync();
        await Assertions.Expect(empty.Locator(".live-responses-table tbody .response-col_status")).ToHaveTextAsync("400", new() { Timeout = 30_000 });
        var answer = await empty.Locator(".live-responses-table tbody .response-col_description").InnerTextAsync();
        Assert.Contains("validation_failed", answer);
        Assert.Contains("'image' must be a file", answer);
        Assert.Equal(2, await shared.CountFacesAsync(Collection));
    }

    [Fact]
    public async Task A_person_indexes_a_group_photo_and_sees_its_clusters_through_Swagger_UI()
    {
        const string collection = Collection + "-people";
        await shared.ResetCollectionAsync(collection);
        await using var factory = new ApiFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        var baseUrl = factory.CreateClient().BaseAddress!;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });

        var index = await OpenOperationAsync(browser, baseUrl, "People", "post_v1_index");
        var body = index.Locator(".opblock-section-request-body");
        await body.Locator("input[placeholder=collection]").FillAsync(collection);
        await body.Locator("input[type=file]").First.SetInputFilesAsync(DevPhotos.Group("kit_with_rose.jpg"));
        await index.GetByRole(AriaRole.Button, new() { Name = "Execute" }).ClickAsync();
        await Assertions.Expect(index.Locator(".live-responses-table tbody .response-col_status")).ToHaveTextAsync("201", new() { Timeout = 60_000 });
        var indexed = await index.Locator(".live-responses-table tbody .response-col_description").InnerTextAsync();
        Assert.Contains("\"clusterId\"", indexed);
        Assert.Contains("\"quality\"", indexed);

        var clusters = await OpenOperationAsync(browser, baseUrl, "People", "get_v1_people_clusters");
        await clusters.Locator("input[placeholder=collection]").FillAsync(collection);
        await clusters.Locator("input[placeholder=minFaces]").FillAsync("1");
        await clusters.GetByRole(AriaRole.Button, new() { Name = "Execute" }).ClickAsync();
        await Assertions.Expect(clusters.Locator(".live-responses-table tbody .response-col_status")).ToHaveTextAsync("200", new() { Timeout = 30_000 });
        var listed = await clusters.Locator(".live-responses-table tbody .response-col_description").InnerTextAsync();
        Assert.Contains("\"version\"", listed);
        Assert.Contains("kit_with_rose.jpg", listed);
    }

    private static Task<ILocator> OpenEnrollAsync(IBrowser browser, Uri baseUrl) => OpenOperationAsync(browser, baseUrl, "Recognition", "post_v1_enroll");

    /// <summary>A new page on one operation, authorized with the bootstrap key through the Authorize dialog.</summary>
    private static async Task<ILocator> OpenOperationAsync(IBrowser browser, Uri baseUrl, string tag, string operation)
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(baseUrl, $"/swagger/index.html#/{tag}/{operation}").ToString());
        // The document loads after the page: on a busy machine the Authorize button can be clicked before it is wired.
        var operationBlock = page.Locator($"#operations-{tag}-{operation}");
        await Assertions.Expect(operationBlock).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.Locator(".auth-wrapper .authorize").ClickAsync();
        var dialog = page.Locator(".dialog-ux");
        // The hint shows the Bearer form with its placeholder (it was once eaten as an HTML tag).
        await Assertions.Expect(dialog).ToContainTextAsync("Also accepted as Authorization: Bearer <key>.", new() { Timeout = 30_000 });
        await dialog.Locator("input").FillAsync(ApiFactory.BootstrapAdminKey);
        await dialog.Locator(".auth-btn-wrapper button.authorize").ClickAsync();
        await dialog.Locator(".auth-btn-wrapper button.btn-done").ClickAsync();
        return operationBlock;
    }
}
