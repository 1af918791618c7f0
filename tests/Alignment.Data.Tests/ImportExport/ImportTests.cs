using Alignment.Data.Store;
using Alignment.Data.ImportExport;
using Alignment.Data.Projects;
using Dapper;

namespace Alignment.Data.Tests.ImportExport;

public class ImportTests
{
    private static (TestDb Db, Project Project, ImportService Import) Setup(StoreProvider provider)
    {
        var db = new TestDb(provider);
        return (db, db.Projects.Create(new ProjectSettings("p", OverlapK: 2)), new ImportService(db.Store));
    }

    private static (long Prompts, long Responses, long Comparisons) Counts(TestDb db) => db.Store.Read(c => c.QuerySingle<(long, long, long)>(
        "SELECT (SELECT COUNT(1) FROM prompts), (SELECT COUNT(1) FROM responses), (SELECT COUNT(1) FROM comparisons)"));

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Pairs_from_jsonl_create_prompts_responses_and_comparisons_with_models(StoreProvider provider)
    {
        var (db, project, import) = Setup(provider);
        using var _ = db;
        var path = db.PathOf("pairs.jsonl");
        File.WriteAllLines(path,
        [
            """{"prompt":"What is 2+2?","response_a":"4","response_b":"5","model_a":"m1","model_b":"m2","artifact_a":"sha256:abc"}""",
            "",
            """{"prompt":"What is 2+2?","response_a":"four","response_b":"4","model_a":"m2","model_b":"m1"}""",
            """{"prompt":"Capital of France?","response_a":"Paris","response_b":"Lyon","gold":"A","gold_strength":-3}""",
        ]);
        var result = import.ImportFile(project.Id, ImportKind.Pairs, path);
        Assert.Equal(new ImportResult(ImportKind.Pairs, 3, 2, 5, 3, 0), result);
        var gold = db.Store.Read(c => c.QuerySingle<(long, string, long, long)>(
            "SELECT is_gold, gold_outcome, gold_strength, remaining FROM comparisons ORDER BY id DESC LIMIT 1"));
        Assert.Equal((1L, "A", -3L, 2L), gold);
        Assert.Equal(("m1", "sha256:abc"), db.Store.Read(c => c.QuerySingle<(string, string)>("SELECT model, artifact FROM responses WHERE text = '4'")));

        // Importing the same file again adds nothing.
        var again = import.ImportFile(project.Id, ImportKind.Pairs, path);
        Assert.Equal(new ImportResult(ImportKind.Pairs, 3, 0, 0, 0, 3), again);
        Assert.Equal((2L, 5L, 3L), Counts(db));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Prompts_and_responses_from_csv_with_quotes_and_newlines(StoreProvider provider)
    {
        var (db, project, import) = Setup(provider);
        using var _ = db;
        var prompts = db.PathOf("prompts.csv");
        File.WriteAllText(prompts, "prompt\n\"Say \"\"hi\"\"\"\n\"Two\nlines\"\n");
        Assert.Equal(new ImportResult(ImportKind.Prompts, 2, 2, 0, 0, 0), import.ImportFile(project.Id, ImportKind.Prompts, prompts));
        Assert.Equal(["Say \"hi\"", "Two\nlines"], db.Store.Read(c => c.Query<string>("SELECT text FROM prompts ORDER BY id").ToList()));

        var responses = db.PathOf("responses.csv");
        File.WriteAllText(responses, "prompt,response,model\n\"Say \"\"hi\"\"\",hi,m1\n\"Say \"\"hi\"\"\",hello,\nnew prompt,yo,m2\n");
        Assert.Equal(new ImportResult(ImportKind.Responses, 3, 1, 3, 0, 0), import.ImportFile(project.Id, ImportKind.Responses, responses));
        Assert.Null(db.Store.Read(c => c.ExecuteScalar<string?>("SELECT model FROM responses WHERE text = 'hello'")));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Responses_accept_completion_as_an_alias_of_response_and_the_shipped_demo_file_imports(StoreProvider provider)
    {
        var (db, project, import) = Setup(provider);
        using var _ = db;
        var path = db.PathOf("responses.jsonl");
        File.WriteAllText(path, "{\"prompt\":\"p\",\"completion\":\"c1\",\"model\":\"m\"}\n{\"prompt\":\"p\",\"response\":\"r2\"}\n");
        Assert.Equal(new ImportResult(ImportKind.Responses, 2, 1, 2, 0, 0), import.ImportFile(project.Id, ImportKind.Responses, path));
        Assert.Equal(["c1", "r2"], db.Store.Read(c => c.Query<string>("SELECT text FROM responses ORDER BY id").ToList()));

        // data/labeling-demo/responses.jsonl: 6 prompts with 3 answers each, written with "completion".
        var demo = Path.Combine(RepositoryRoot(), "data", "labeling-demo", "responses.jsonl");
        var other = db.Projects.Create(new ProjectSettings("demo", OverlapK: 1));
        Assert.Equal(new ImportResult(ImportKind.Responses, 18, 6, 18, 0, 0), import.ImportFile(other.Id, ImportKind.Responses, demo));
    }

    [Theory]
    [InlineData("{\"prompt\":\"p\",\"model\":\"m\"}\n", "responses.jsonl:1: field \"response\" is missing (its alias \"completion\" is accepted too)")]
    [InlineData("{\"prompt\":\"p\",\"response\":\"a\",\"completion\":\"b\"}\n", "responses.jsonl:1: field \"response\" and its alias \"completion\" are both present; keep one")]
    public void A_responses_row_without_response_or_completion_names_both(string content, string expected)
    {
        var (db, project, import) = Setup(StoreProvider.Sqlite);
        using var _ = db;
        var path = db.PathOf("responses.jsonl");
        File.WriteAllText(path, content);
        var error = Assert.Throws<ImportException>(() => import.ImportFile(project.Id, ImportKind.Responses, path));
        Assert.Equal(expected, error.Message);
        Assert.Equal((0L, 0L, 0L), Counts(db));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "data", "labeling-demo")))
                return dir.FullName;
        throw new DirectoryNotFoundException("data/labeling-demo not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\"}\n{\"prompt\":\"q\",\"response_a\":\"a\"}\n", "pairs.jsonl:2: field \"response_b\" is missing")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\"}\n\n{\"prompt\":\"q\",\"response_a\":\"\",\"response_b\":\"b\"}\n", "pairs.jsonl:3: field \"response_a\" is empty")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\"}\n{\"prompt\":\"p\" \"response_a\"}\n", "pairs.jsonl:2: is not valid JSON")]
    [InlineData("pairs.jsonl", "[1,2]\n", "pairs.jsonl:1: is not a JSON object")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":true,\"response_b\":\"b\"}\n", "pairs.jsonl:1: field \"response_a\" must be a string")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\",\"gold\":\"C\"}\n", "pairs.jsonl:1: field \"gold\" is 'C'")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\",\"gold\":\"A\",\"gold_strength\":2}\n", "pairs.jsonl:1: field \"gold_strength\" 2 disagrees")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"same\",\"response_b\":\"same\"}\n", "pairs.jsonl:1: field \"response_b\" is identical")]
    [InlineData("pairs.csv", "prompt,response_a,response_b\np,a,b\n\"multi\nline\",a,b\nq,a\n", "pairs.csv:5: has 2 columns but the header has 3")]
    [InlineData("pairs.csv", "prompt,response_a,model_a\np,a,m\n", "pairs.csv:2: field \"response_b\" is missing")]
    // Wrong JSON types were imported as their text ("5"); a key given twice kept one value silently.
    [InlineData("pairs.jsonl", "{\"prompt\":5,\"response_a\":\"a\",\"response_b\":\"b\"}\n", "pairs.jsonl:1: field \"prompt\" must be a string, got the number 5")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":123}\n", "pairs.jsonl:1: field \"response_b\" must be a string, got the number 123")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\",\"model_a\":7}\n", "pairs.jsonl:1: field \"model_a\" must be a string")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"prompt\":\"q\",\"response_a\":\"a\",\"response_b\":\"b\"}\n", "pairs.jsonl:1: is not valid JSON (Duplicate property 'prompt'")]
    public void A_bad_row_aborts_with_file_line_and_field_and_writes_nothing(string fileName, string content, string expected)
    {
        var (db, project, import) = Setup(StoreProvider.Sqlite);
        using var _ = db;
        var path = db.PathOf(fileName);
        File.WriteAllText(path, content);
        var error = Assert.Throws<ImportException>(() => import.ImportFile(project.Id, ImportKind.Pairs, path));
        Assert.StartsWith(expected, error.Message);
        Assert.Equal((0L, 0L, 0L), Counts(db));
    }

    // Bytes that are not UTF-8 (here FF FE on line 2, byte 35) used to be imported as U+FFFD.
    [Theory]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\"}\n{\"prompt\":\"\xFF\xFE\"}\n", "pairs.jsonl:2: is not valid UTF-8 (byte 0xFF at byte offset 60)")]
    [InlineData("pairs.csv", "prompt,response_a,response_b\np,a,\xC3\n", "pairs.csv:2: is not valid UTF-8 (byte 0xC3 at byte offset 33)")]
    public void Invalid_utf8_aborts_with_line_and_byte_offset_and_writes_nothing(string fileName, string latin1, string expected)
    {
        var (db, project, import) = Setup(StoreProvider.Sqlite);
        using var _ = db;
        var path = db.PathOf(fileName);
        File.WriteAllBytes(path, System.Text.Encoding.Latin1.GetBytes(latin1));
        var e = Assert.Throws<ImportException>(() => import.ImportFile(project.Id, ImportKind.Pairs, path));
        Assert.StartsWith(expected, e.Message);
        Assert.Equal((0L, 0L, 0L), Counts(db));
    }

    // gold_strength is numeric: a JSON number is its natural form.
    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void A_number_is_accepted_where_the_field_is_numeric(StoreProvider provider)
    {
        var (db, project, import) = Setup(provider);
        using var _ = db;
        var path = db.PathOf("pairs.jsonl");
        File.WriteAllText(path, "{\"prompt\":\"p\",\"response_a\":\"a\",\"response_b\":\"b\",\"gold\":\"B\",\"gold_strength\":2}\n");
        Assert.Equal(1, import.ImportFile(project.Id, ImportKind.Pairs, path).ComparisonsCreated);
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Unknown_extension_and_unknown_project_are_rejected(StoreProvider provider)
    {
        var (db, project, import) = Setup(provider);
        using var _ = db;
        Assert.Throws<ImportException>(() => import.Import(project.Id, ImportKind.Prompts, new MemoryStream(), "prompts.xlsx"));
        Assert.Throws<Model.NotFoundException>(() => import.Import(999, ImportKind.Prompts, new MemoryStream("{\"prompt\":\"x\"}"u8.ToArray()), "p.jsonl"));
    }
}

public class PairingTests
{
    private static (TestDb Db, Project Project) WithResponses(StoreProvider provider, int prompts, int responsesEach)
    {
        var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("p", OverlapK: 1));
        var lines = new List<string>();
        for (var p = 0; p < prompts; p++)
        for (var r = 0; r < responsesEach; r++)
            lines.Add($$"""{"prompt":"prompt {{p}}","response":"response {{p}}.{{r}}","model":"m{{r}}"}""");
        File.WriteAllLines(db.PathOf("responses.jsonl"), lines);
        new ImportService(db.Store).ImportFile(project.Id, ImportKind.Responses, db.PathOf("responses.jsonl"));
        return (db, project);
    }

    private static List<(long Prompt, long A, long B)> Pairs(TestDb db) => db.Store.Read(c =>
        c.Query<(long, long, long)>("SELECT prompt_id, CASE WHEN response_a_id < response_b_id THEN response_a_id ELSE response_b_id END, " +
        "CASE WHEN response_a_id < response_b_id THEN response_b_id ELSE response_a_id END FROM comparisons ORDER BY 1, 2, 3").ToList());

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void All_pairs_makes_n_choose_2_per_prompt_and_is_idempotent(StoreProvider provider)
    {
        var (db, project) = WithResponses(provider, prompts: 3, responsesEach: 4);
        using var _ = db;
        var pairing = new PairingService(db.Store);
        Assert.Equal(3 * 6, pairing.CreateComparisons(project.Id, new PairingOptions(PairingMode.AllPairs)));
        Assert.Equal(18, Pairs(db).Distinct().Count());
        Assert.Equal(0, pairing.CreateComparisons(project.Id, new PairingOptions(PairingMode.AllPairs)));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Random_k_pairs_are_seeded_reproducible_and_distinct(StoreProvider provider)
    {
        List<(long, long, long)> Run(int seed)
        {
            var (db, project) = WithResponses(provider, prompts: 5, responsesEach: 5);
            using var _ = db;
            var created = new PairingService(db.Store).CreateComparisons(project.Id, new PairingOptions(PairingMode.RandomPairs, PairsPerPrompt: 3, Seed: seed));
            Assert.Equal(15, created);
            var pairs = Pairs(db);
            Assert.Equal(15, pairs.Distinct().Count());
            Assert.All(pairs.GroupBy(p => p.Item1), g => Assert.Equal(3, g.Count()));
            Assert.Equal(0, new PairingService(db.Store).CreateComparisons(project.Id, new PairingOptions(PairingMode.RandomPairs, 3, seed)));
            return pairs;
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }
}
