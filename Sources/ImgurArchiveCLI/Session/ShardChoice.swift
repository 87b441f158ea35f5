import Archiver

/// Which shard a run archives (docs/scale-out.md, "Shards"): `--shard K/N`; else none with
/// `--no-shard`; else the task index an engine gives — Slurm's `SLURM_ARRAY_TASK_ID`, or a
/// Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` — of the shard count: `--shards N` or
/// `IMGUR_ARCHIVE_SHARDS`, else (Slurm only) the size of an array that runs from 0 with no step.
/// A rerun of one index (`sbatch --array=5`) therefore needs the count: without it the task would
/// take the whole backlog for its shard, and it is refused.
enum ShardChoice {
    static func resolve(_ options: ArchiveOptions, environment: [String: String]) throws(CommandError) -> (Shard, source: String)? {
        if let shard = options.shard {
            if options.shards != nil { throw .usage("'--shard K/N' already says the count: give no '--shards'") }
            return (shard, "--shard")
        }
        if options.noShard { return nil }
        func number(_ name: String) throws(CommandError) -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), value >= 0 else { throw .usage("\(name) is '\(text)', not a task index or count") }
            return value
        }
        let fromEnvironment = try number("IMGUR_ARCHIVE_SHARDS")
        let given = options.shards ?? fromEnvironment
        if let given, given < 1 { throw .usage("the shard count must be at least 1, not \(given)") }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            let count: Int
            if let given {
                count = given
            } else {
                let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
                let arrayCount = try number("SLURM_ARRAY_TASK_COUNT")
                let arrayMax = try number("SLURM_ARRAY_TASK_MAX")
                let size = arrayCount ?? arrayMax.map { $0 - minimum + 1 }
                let maximum = arrayMax ?? size.map { minimum + $0 - 1 }
                guard let size, minimum == 0, maximum == size - 1 else {
                    throw .usage(
                        "this Slurm array does not run 0 to N-1 with no step (a rerun of some indexes?): "
                            + "give the shard count with IMGUR_ARCHIVE_SHARDS=N or --shards N")
                }
                count = size
            }
            guard let shard = Shard(index: task, count: count) else {
                throw .usage("the Slurm array task \(task) is not below the shard count \(count)")
            }
            return (shard, "Slurm array task \(task)")
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let count = given else {
                throw .usage("JOB_COMPLETION_INDEX is set but not how many shards there are: give --shards N (the Job's completions) or IMGUR_ARCHIVE_SHARDS")
            }
            guard let shard = Shard(index: index, count: count) else {
                throw .usage("JOB_COMPLETION_INDEX \(index) is not below the shard count \(count)")
            }
            return (shard, "Kubernetes completion index \(index)")
        }
        if options.shards != nil {
            throw .usage("'--shards N' counts the shards of an engine's task index, and none is set (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX): give --shard K/N")
        }
        return nil
    }
}
