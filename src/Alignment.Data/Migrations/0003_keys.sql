-- Data 0003: the web app's cookie-signing keys (ASP.NET Core Data Protection's key ring), one XML element per key, kept
-- in the store so every `align serve` on one store signs and reads cookies with the same keys. Keys are never changed
-- once written (the key manager writes a revocation as a new element).

CREATE TABLE data_protection_keys (
    id             INTEGER PRIMARY KEY,
    friendly_name  TEXT    NOT NULL UNIQUE,
    xml            TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);
