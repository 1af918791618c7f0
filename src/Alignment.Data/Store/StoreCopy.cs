using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Alignment.Data.Store;

/// <summary>One table moved by <see cref="StoreCopy.Copy(StoreLocation, StoreLocation, IReadOnlyList{MigrationSet}, Action{CopiedTable})"/>.</summary>
/// <param name="Table">The table.</param>
/// <param name="Rows">The rows copied.</param>
public sealed record CopiedTable(string Table, long Rows);

/// <summary>
/// Moves a home's data from its SQLite file into an empty PostgreSQL database (<c>align store copy</c>): every table of
/// every owner whose migrations are given, ids kept, in one transaction on the target (a failure leaves it empty), and
/// each identity column's sequence moved past the largest id copied so new rows do not collide.
/// <para>
/// Tables are copied parents first (the source's foreign keys decide the order) with PostgreSQL's <c>COPY … FROM
/// STDIN</c>; a column that references its own table (an undone judgment's <c>superseded_by</c>) is filled in after its
/// table's rows are all there. The source is read as it is; the target must hold no rows in any of those tables.
/// </para>
/// </summary>
public static class StoreCopy
{
    /// <summary>Tables that record the schema itself; each store keeps its own.</summary>
    private static readonly HashSet<string> SchemaTables = new(StringComparer.Ordinal) { "schema_migrations", "schema_version" };

    /// <summary>
    /// Copies <paramref name="from"/> (SQLite) into <paramref name="to"/> (PostgreSQL) after bringing both up to date with
    /// <paramref name="owners"/>' migrations; returns the tables copied in order. Throws <see cref="StoreCopyException"/>
    /// for another pair of providers, a target that holds data, or tables the two stores do not share.
    /// </summary>
    public static IReadOnlyList<CopiedTable> Copy(AlignStore from, AlignStore to, IReadOnlyList<MigrationSet> owners, Action<CopiedTable>? progress = null)
    {
        CheckProviders(from.Location, to.Location);
        foreach (var owner in owners)
        {
            from.EnsureSchema(owner);
            to.EnsureSchema(owner);
        }

        var tables = from.Read(connection => SourceTables((SqliteConnection)connection));
        return to.Write((connection, transaction) =>
        {
            var target = (NpgsqlConnection)connection;
            var targetColumns = TargetColumns(target);
            var missing = tables.Where(t => !targetColumns.ContainsKey(t.Name)).Select(t => t.Name).ToList();
            if (missing.Count > 0)
                throw new StoreCopyException(
                    $"{to.Location.Display} has no table {string.Join(", ", missing)} that {from.Location.Display} has: the source holds tables " +
                    "of a newer build or another program; upgrade Alignment, or move those tables away first");
            foreach (var table in tables)
            {
                var lacking = table.Columns.Where(c => !targetColumns[table.Name].Contains(c)).ToList();
                if (lacking.Count > 0)
                    throw new StoreCopyException($"{to.Location.Display}: table {table.Name} has no column {string.Join(", ", lacking)} that the source has");
                if (target.ExecuteScalar<bool>($"SELECT EXISTS (SELECT 1 FROM {Quote(table.Name)})", transaction: transaction))
                    throw new StoreCopyException(
                        $"{to.Location.Display} already holds data (table {table.Name} has rows): copy into an empty database (createdb a new one)");
            }

            var copied = new List<CopiedTable>();
            foreach (var table in tables)
            {
                var rows = CopyTable(from, target, table);
                var done = new CopiedTable(table.Name, rows);
                copied.Add(done);
                progress?.Invoke(done);
            }
            AdvanceIdentities(target, transaction);
            return (IReadOnlyList<CopiedTable>)copied;
        });
    }

    /// <summary>
    /// Opens the two stores and copies (see the other overload) after checking, before anything is opened or created,
    /// that <paramref name="from"/> is an existing SQLite file and <paramref name="to"/> a PostgreSQL database.
    /// </summary>
    public static IReadOnlyList<CopiedTable> Copy(StoreLocation from, StoreLocation to, IReadOnlyList<MigrationSet> owners, Action<CopiedTable>? progress = null)
    {
        CheckProviders(from, to);
        if (!File.Exists(from.Target))
            throw new StoreCopyException($"--from {from.Display} does not exist: name a home's align.db");
        return Copy(AlignStore.Open(from), AlignStore.Open(to), owners, progress);
    }

    private static void CheckProviders(StoreLocation from, StoreLocation to)
    {
        if (from.Provider != StoreProvider.Sqlite)
            throw new StoreCopyException($"--from {from.Display} is not a SQLite store: copy reads a home's sqlite:PATH (to copy between PostgreSQL databases use pg_dump)");
        if (to.Provider != StoreProvider.PostgreSql)
            throw new StoreCopyException($"--to {to.Display} is not a PostgreSQL store: copy writes into a postgresql:// database");
    }

    /// <summary>A source table: its columns in order, its primary key, and the columns that reference the table itself.</summary>
    private sealed record SourceTable(string Name, IReadOnlyList<string> Columns, IReadOnlyList<string> Key, IReadOnlyList<string> SelfReferences);

    /// <summary>The source's tables, every table after the ones its foreign keys reference.</summary>
    private static List<SourceTable> SourceTables(SqliteConnection connection)
    {
        var names = connection.Query<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .Where(n => !SchemaTables.Contains(n)).ToList();
        var tables = new Dictionary<string, SourceTable>(StringComparer.Ordinal);
        var parents = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var columns = connection.Query<(long Cid, string Name, long Pk)>($"SELECT cid, name, pk FROM pragma_table_info({Literal(name)}) ORDER BY cid").ToList();
            var references = connection.Query<(string Table, string From)>($"SELECT \"table\", \"from\" FROM pragma_foreign_key_list({Literal(name)})").ToList();
            tables[name] = new SourceTable(name, columns.Select(c => c.Name).ToList(),
                columns.Where(c => c.Pk > 0).OrderBy(c => c.Pk).Select(c => c.Name).ToList(),
                references.Where(r => r.Table == name).Select(r => r.From).Distinct().ToList());
            parents[name] = references.Select(r => r.Table).Where(t => t != name && names.Contains(t)).ToHashSet(StringComparer.Ordinal);
        }

        var ordered = new List<SourceTable>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        while (ordered.Count < names.Count)
        {
            var ready = names.Where(n => !placed.Contains(n) && parents[n].All(placed.Contains)).ToList();
            if (ready.Count == 0)
                throw new StoreCopyException($"the source's tables reference each other in a cycle ({string.Join(", ", names.Where(n => !placed.Contains(n)))})");
            foreach (var name in ready)
            {
                ordered.Add(tables[name]);
                placed.Add(name);
            }
        }
        return ordered;
    }

    /// <summary>The target's tables (in the connection's schema) and their columns.</summary>
    private static Dictionary<string, HashSet<string>> TargetColumns(NpgsqlConnection connection) =>
        connection.Query<(string Table, string Column)>(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()")
            .GroupBy(c => c.Table, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(c => c.Column).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Streams one table's rows into the target with COPY (self references null), then sets those references.</summary>
    private static long CopyTable(AlignStore from, NpgsqlConnection target, SourceTable table)
    {
        var columns = string.Join(", ", table.Columns.Select(Quote));
        var selfReferences = table.SelfReferences.Select(c => table.Columns.ToList().IndexOf(c)).ToHashSet();
        var keyIndexes = table.Key.Select(c => table.Columns.ToList().IndexOf(c)).ToList();
        var later = new List<object?[]>();
        long rows = 0;
        from.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {columns} FROM {Quote(table.Name)} ORDER BY rowid";
            using var reader = command.ExecuteReader();
            using var writer = target.BeginTextImport($"COPY {Quote(table.Name)} ({columns}) FROM STDIN");
            var line = new StringBuilder();
            var values = new object?[table.Columns.Count];
            while (reader.Read())
            {
                line.Clear();
                reader.GetValues(values!);
                for (var i = 0; i < values.Length; i++)
                {
                    if (i > 0)
                        line.Append('\t');
                    AppendCopyText(line, selfReferences.Contains(i) ? DBNull.Value : values[i]);
                }
                writer.Write(line.Append('\n').ToString());
                if (selfReferences.Any(i => values[i] is not DBNull and not null))
                    later.Add([.. keyIndexes.Select(i => values[i]), .. selfReferences.Order().Select(i => values[i])]);
                rows++;
            }
            return rows;
        });

        if (later.Count > 0)
        {
            var references = selfReferences.Order().Select(i => table.Columns[i]).ToList();
            var set = string.Join(", ", references.Select((c, i) => $"{Quote(c)} = @r{i}"));
            var where = string.Join(" AND ", table.Key.Select((c, i) => $"{Quote(c)} = @k{i}"));
            foreach (var row in later)
            {
                var parameters = new DynamicParameters();
                for (var i = 0; i < table.Key.Count; i++)
                    parameters.Add($"k{i}", row[i] is DBNull ? null : row[i]);
                for (var i = 0; i < references.Count; i++)
                    parameters.Add($"r{i}", row[table.Key.Count + i] is DBNull ? null : row[table.Key.Count + i]);
                target.Execute($"UPDATE {Quote(table.Name)} SET {set} WHERE {where}", parameters);
            }
        }
        return rows;
    }

    /// <summary>
    /// Moves every identity column's sequence (of the connection's current schema) past the largest value a copy put in
    /// that column (also after the labeling bench's bulk fill).
    /// </summary>
    internal static void AdvanceIdentities(NpgsqlConnection connection, System.Data.Common.DbTransaction transaction)
    {
        var identities = connection.Query<(string Table, string Column)>(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
            transaction: transaction).ToList();
        foreach (var (table, column) in identities)
            connection.Execute(
                $"SELECT setval(pg_get_serial_sequence(@table, @column), COALESCE((SELECT MAX({Quote(column)}) FROM {Quote(table)}), 0) + 1, false)",
                new { table = Quote(table), column }, transaction);
    }

    /// <summary>Appends <paramref name="value"/> in COPY's text format (<c>\N</c> for null; backslash escapes).</summary>
    private static void AppendCopyText(StringBuilder line, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                line.Append("\\N");
                break;
            case string text:
                foreach (var c in text)
                {
                    line.Append(c switch
                    {
                        '\\' => "\\\\",
                        '\n' => "\\n",
                        '\r' => "\\r",
                        '\t' => "\\t",
                        _ => null,
                    } ?? c.ToString());
                }
                break;
            case byte[] bytes:
                line.Append("\\\\x").Append(Convert.ToHexStringLower(bytes));
                break;
            case double d:
                line.Append(d.ToString("R", CultureInfo.InvariantCulture));
                break;
            case IFormattable number:
                line.Append(number.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                throw new StoreCopyException($"a value of type {value.GetType().Name} cannot be copied");
        }
    }

    /// <summary>An identifier in double quotes (our own table and column names; quoted all the same).</summary>
    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    /// <summary>A SQLite string literal (for the table-valued pragma functions, which take no parameters).</summary>
    private static string Literal(string text) => "'" + text.Replace("'", "''") + "'";
}
