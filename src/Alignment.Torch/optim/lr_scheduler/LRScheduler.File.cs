using System.Text.Json;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        public static partial class lr_scheduler
        {
            // Scheduler state files: the state dict as a small JSON file (a scheduler has no tensors).
            public abstract partial class LRScheduler
            {
                private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

                /// <summary>Writes <see cref="state_dict"/> as JSON to <paramref name="path"/>, atomically (temporary file, then rename).</summary>
                public void save(string path)
                {
                    string full = Path.GetFullPath(path);
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                    string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
                    try
                    {
                        File.WriteAllText(tmp, JsonSerializer.Serialize(state_dict(), Indented));
                        File.Move(tmp, full, overwrite: true);
                    }
                    catch
                    {
                        try { File.Delete(tmp); } catch (IOException) { }
                        throw;
                    }
                }

                /// <summary>Restores the state written by <see cref="save"/> (see <see cref="load_state_dict"/>).</summary>
                /// <exception cref="TorchException">The file is missing, malformed or for another schedule; the message names it.</exception>
                public void load(string path)
                {
                    SchedulerStateDict? state;
                    try
                    {
                        state = JsonSerializer.Deserialize<SchedulerStateDict>(File.ReadAllText(path));
                    }
                    catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
                    {
                        throw new TorchException($"{path}: cannot read scheduler state: {e.Message}", e);
                    }
                    if (state?.scheduler == null || state.base_lrs == null || state.last_lr == null)
                        throw new TorchException($"{path}: not a scheduler state file written by LRScheduler.save");
                    try
                    {
                        load_state_dict(state);
                    }
                    catch (TorchException e)
                    {
                        throw new TorchException($"{path}: {e.Message}", e);
                    }
                }
            }
        }
    }
}
