import Foundation
import KeelCLI
import KeelPostgres
import KeelRuntime
import KeelSQLite

/// Which store a location names: `postgresql://...` (or `postgres://`) is the PostgreSQL store
/// several nodes share; anything else is an SQLite file. (Here, not in KeelCLI, so that the fuzz
/// target, which shares KeelCLI, does not build the PostgreSQL client.)
enum StoreOpener {
    static func isShared(_ location: String) -> Bool { PostgresStore.handles(location) }

    /// Opens the store at `location`. `owner`: this process runs durable agents on it (a node; for
    /// SQLite, the one process holding the file's lock); tools pass false.
    static func open(_ location: String, owner: Bool, lease: Int64? = nil) throws -> DurableStore {
        if PostgresStore.handles(location) {
            return try PostgresStore(url: location, owner: owner, lease: lease ?? PostgresStore.defaultLease)
        }
        return try SQLiteStore(path: location, owner: owner)
    }
}
