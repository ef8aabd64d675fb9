# New content is written to an unnamed O_TMPFILE file in the destination's directory: invisible
# there, but open in this process (the runspaces that copy run here), as '<dir>/#<inode> (deleted)'.
function Get-UnnamedFile([string] $Directory) {
    @(Get-ChildItem /proc/self/fd -ErrorAction SilentlyContinue | Where-Object { "$($_.LinkTarget)" -like "$Directory/#* (deleted)" })
}

# Waits until a copy running in this process has its unnamed file open in $Directory (or the time is up).
function Wait-UnnamedFile([string] $Directory, [int] $TimeoutSec = 20) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while ((Get-UnnamedFile $Directory).Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
}
