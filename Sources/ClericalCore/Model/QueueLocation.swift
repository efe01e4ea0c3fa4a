/// Where a queue lives, as a command is given it: a SQLite file's path, or a PostgreSQL URL.
public enum QueueLocation {
    /// True for a `postgresql://` (or `postgres://`) URL: a queue on a server, not a file.
    public static func isPostgreSQL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }
}
