/// Help and version text.
public enum Usage {
    public static let version = "0.1.0"
    public static let line = "USAGE: imgur-archive [--dir <dir>] [--jobs <n>] [--refresh] [<id-or-url> ...]"

    public static let help = """
        OVERVIEW: Archive Imgur albums into portable folders: every media file, in album order, with
        its descriptions and metadata, plus one catalog of everything archived (scraping_logs.json).

        \(line)

        ARGUMENTS:
          <id-or-url>             Album ids or Imgur album URLs (imgur.com/a/ID, /a/title-ID,
                                  /gallery/ID, /t/TAG/ID). Without any, every entry of links.txt
                                  in the storage directory is archived.

        OPTIONS:
          -C, --dir <dir>         Storage directory (default: the current directory).
          -j, --jobs <n>          Media downloads in flight at once, 1 to 64 (default: 8).
          --refresh               Check albums already in the catalog again (including those
                                  recorded as unavailable), and fetch what is new or missing.
          --animated <format>     gif (default) or mp4: which file to keep for animated media.
                                  GIFs over 20 MB are always kept as mp4 (Imgur only serves a
                                  thumbnail of them as GIF).
          --wait                  If another run is using the storage directory, wait for it
                                  instead of exiting with status 75.
          -q, --quiet             Print only errors and a summary of failures.
          -v, --verbose           Also print every request and retry.
          --version               Print the version.
          -h, --help              Show this help.

        ENVIRONMENT:
          IMGUR_CLIENT_ID         Client id of your Imgur application (else api_secrets.json in
                                  the storage directory, else
                                  $XDG_CONFIG_HOME/imgur-archive/api_secrets.json).
          IMGUR_API_BASE          API root (default https://api.imgur.com); plain http only to
                                  a loopback host.
          NO_COLOR                Never use colour.

        EXIT STATUS:
          0    Everything asked for is in the archive.
          1    Some albums failed, or some input could not be used.
          64   Usage error.
          75   Temporary problem (rate limit, network, another run): run again later.
          78   Configuration error (credentials, storage directory, catalog).
          130  Interrupted (SIGINT); 143 terminated (SIGTERM). Partial files resume next run.

        """
}
