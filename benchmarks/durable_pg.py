"""The benchmarks' PostgreSQL: tests/postgres.py's throwaway cluster, but durable (fsync, synchronous_commit and
full_page_writes at PostgreSQL's defaults, on), so that every commit a benchmark times pays what it pays in
production. The tests keep their fast, non-durable cluster: this only drops the three settings from the server's
command line, and start() checks that the server really runs with them on."""
import psycopg

from tests.postgres import Cluster

NOT_DURABLE = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")


class DurableCluster(Cluster):
    """A throwaway cluster with fsync, synchronous_commit and full_page_writes on."""

    def _run(self, *args: str) -> None:
        if args and args[0] == "pg_ctl" and "-o" in args:
            at = args.index("-o") + 1
            options = args[at]
            for setting in NOT_DURABLE:
                options = options.replace(setting, "")
            args = (*args[:at], " ".join(options.split()), *args[at + 1:])
        super()._run(*args)

    def start(self) -> "DurableCluster":
        super().start()
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=clubcrm dbname=postgres") as conn:
            settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                        for name in ("fsync", "synchronous_commit", "full_page_writes")}
        if set(settings.values()) != {"on"}:
            self.stop()
            raise RuntimeError(f"the benchmark cluster is not durable: {settings}")
        return self
