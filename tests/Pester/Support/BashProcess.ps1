# bash -c SCRIPT as a process of its own, argv passed exactly (a writer, a racer). Whoever starts
# one stops it on every way out with Stop-Bash (safe on $null and on one that has ended).
function Start-Bash([string] $Script) {
    $info = [Diagnostics.ProcessStartInfo]::new('bash')
    $info.ArgumentList.Add('-c')
    $info.ArgumentList.Add($Script)
    $info.UseShellExecute = $false
    [Diagnostics.Process]::Start($info)
}

function Stop-Bash($Process) {
    if ($Process -and -not $Process.HasExited) { $Process.Kill($true) }
    if ($Process) { $Process.WaitForExit(); $Process.Dispose() }
}
