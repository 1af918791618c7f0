using System.Xml.Linq;
using Alignment.Data.Store;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// Data Protection's key repository over the store's key ring (<see cref="KeyRing"/>), so every <c>align serve</c> on
/// one store signs and reads sign-in and antiforgery cookies with the same keys (several servers behind one proxy).
/// Keys an older build left in the home folder's <c>keys</c> folder are moved into an empty ring once, so sign-ins
/// survive the upgrade.
/// </summary>
public sealed class StoreKeyRepository : IXmlRepository
{
    private readonly KeyRing _ring;

    public StoreKeyRepository(AlignStore store, string legacyKeysFolder)
    {
        _ring = new KeyRing(store);
        if (_ring.All().Count == 0 && Directory.Exists(legacyKeysFolder))
        {
            foreach (var file in Directory.EnumerateFiles(legacyKeysFolder, "*.xml").Order(StringComparer.Ordinal))
                _ring.Add(Path.GetFileNameWithoutExtension(file), XElement.Load(file).ToString(SaveOptions.DisableFormatting));
        }
    }

    public IReadOnlyCollection<XElement> GetAllElements() => _ring.All().Select(XElement.Parse).ToList();

    public void StoreElement(XElement element, string friendlyName) =>
        _ring.Add(friendlyName, element.ToString(SaveOptions.DisableFormatting));
}
