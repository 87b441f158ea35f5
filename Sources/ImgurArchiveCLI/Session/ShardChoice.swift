import Archiver

/// Which shard a run archives (docs/scale-out.md, "Shards"): `--shard K/N`; else none with
/// `--no-shard`; else a Slurm job array's task (`SLURM_ARRAY_TASK_ID` from
/// `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT` or max - min + 1); else a Kubernetes
/// Indexed Job's `JOB_COMPLETION_INDEX` of `--shards N` or `IMGUR_ARCHIVE_SHARDS`; else none.
enum ShardChoice {
    static func resolve(_ options: ArchiveOptions, environment: [String: String]) throws(CommandError) -> (Shard, source: String)? {
        if let shard = options.shard { return (shard, "--shard") }
        if options.noShard { return nil }
        func number(_ name: String) throws(CommandError) -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), value >= 0 else { throw .usage("\(name) is '\(text)', not a task index or count") }
            return value
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            let count: Int
            if let given = try number("SLURM_ARRAY_TASK_COUNT") {
                count = given
            } else if let maximum = try number("SLURM_ARRAY_TASK_MAX") {
                count = maximum - minimum + 1
            } else {
                throw .usage("SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX: give --shard K/N")
            }
            guard let shard = Shard(index: task - minimum, count: count) else {
                throw .usage(
                    "the Slurm array's task \(task) (from \(minimum), \(count) tasks) is not a shard: use --array=0-\(max(count - 1, 0)) "
                        + "with no step, or give --shard K/N")
            }
            return (shard, "Slurm array task \(task)")
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            let fromEnvironment = try number("IMGUR_ARCHIVE_SHARDS")
            guard let count = options.shards ?? fromEnvironment else {
                throw .usage("JOB_COMPLETION_INDEX is set but not how many shards there are: give --shards N (the Job's completions) or IMGUR_ARCHIVE_SHARDS")
            }
            guard let shard = Shard(index: index, count: count) else {
                throw .usage("JOB_COMPLETION_INDEX \(index) is not below the shard count \(count)")
            }
            return (shard, "Kubernetes completion index \(index)")
        }
        return nil
    }
}
