using Dapper;

namespace Alignment.Data.Store;

/// <summary>
/// The web app's cookie-signing key ring in the store (table <c>data_protection_keys</c>): XML elements by friendly
/// name, written once and never changed, so several <c>align serve</c> processes on one store share their keys.
/// </summary>
public sealed class KeyRing(AlignStore store)
{
    /// <summary>Every stored key element's XML, oldest first.</summary>
    public IReadOnlyList<string> All() => store.Read(connection =>
        connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY id").ToList());

    /// <summary>Stores a key element; a name already stored keeps its first element (another server wrote it). Returns whether it was added.</summary>
    public bool Add(string friendlyName, string xml) => store.Write((connection, transaction) =>
        connection.Execute(
            """
            INSERT INTO data_protection_keys (friendly_name, xml, created_at) VALUES (@friendlyName, @xml, @Now)
            ON CONFLICT (friendly_name) DO NOTHING
            """, new { friendlyName, xml, Now = store.NowText() }, transaction) == 1);
}
