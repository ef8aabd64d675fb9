<#
.SYNOPSIS
    The one way the tests start a new pwsh process (a loaded dll cannot be unloaded, and some
    behaviours depend on the environment the module was loaded with). It runs the pwsh that runs
    the tests: its apphost where there is one, else `dotnet pwsh.dll`. The process is killed after
    -TimeoutSeconds so that a test can never hang the suite.
.DESCRIPTION
    Invoke-FreshPwsh runs -Script (its text is written to a temporary file, run with -File and
    removed afterwards) and waits for it. Without -Json it returns the exit code and both output
    streams. With -Json the script's text is run as a script block whose result comes back as an
    object (through JSON); a process that fails then throws with its error output.

    With -Background it returns at once, with the process (to kill, say) and its output being
    read meanwhile; Stop-FreshPwsh then waits for it (or kills it), removes the script file and
    returns what Invoke-FreshPwsh returns without -Json. Call Stop-FreshPwsh on every way out
    (AfterEach or finally): it is safe on $null and twice.
#>
Set-StrictMode -Version Latest

$script:Marker = '---SPLICEMODULE-RESULT---'

# The command line that starts the pwsh running this one.
function Get-FreshPwshCommand {
    $apphost = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    if (Test-Path -LiteralPath $apphost) { , @($apphost) } else { , @('dotnet', (Join-Path $PSHOME 'pwsh.dll')) }
}

function Invoke-FreshPwsh {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Script,
        # Arguments for the script (its param block), after -File.
        [string[]] $ArgumentList = @(),
        # Variables to set (a $null value removes the variable) in the new process only.
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 120,
        # The new process's current directory; the current file system location when omitted.
        [string] $WorkingDirectory = (Get-Location -PSProvider FileSystem).ProviderPath,
        # A command line that runs pwsh's own (appended to it), e.g. setpriv ... --, or
        # bash -c 'cat -- "$0" | "$@"' FILE to feed FILE to pwsh's standard input through a pipe.
        [string[]] $Wrapper = @(),
        [switch] $Json,
        [switch] $Background
    )

    if ($Json) {
        $Script = "`$ErrorActionPreference = 'Stop'`n`$__result = & {`n$Script`n}`n'$Marker'`nConvertTo-Json -InputObject `$__result -Depth 6 -Compress"
    }
    $file = Join-Path ([IO.Path]::GetTempPath()) "splicemodule-fresh-$([guid]::NewGuid().ToString('N')).ps1"
    Set-Content -LiteralPath $file -Value $Script -Encoding utf8NoBOM
    $fresh = [pscustomobject]@{ Process = $null; Output = $null; Error = $null; File = $file }
    try {
        $command = @($Wrapper) + (Get-FreshPwshCommand) + @('-NoProfile', '-NonInteractive', '-File', $file) + $ArgumentList
        $start = [System.Diagnostics.ProcessStartInfo]::new($command[0])
        foreach ($argument in $command | Select-Object -Skip 1) { $start.ArgumentList.Add($argument) }
        $start.UseShellExecute = $false
        $start.WorkingDirectory = $WorkingDirectory
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        foreach ($name in $Environment.Keys) {
            if ($null -eq $Environment[$name]) { [void]$start.Environment.Remove($name) } else { $start.Environment[$name] = [string]$Environment[$name] }
        }
        $fresh.Process = [System.Diagnostics.Process]::Start($start)
        $fresh.Output = $fresh.Process.StandardOutput.ReadToEndAsync()
        $fresh.Error = $fresh.Process.StandardError.ReadToEndAsync()
    }
    catch {
        $null = Stop-FreshPwsh $fresh
        throw
    }
    if ($Background) { return $fresh }

    $run = Stop-FreshPwsh $fresh -WaitSeconds $TimeoutSeconds
    if ($run.TimedOut) { throw "The fresh pwsh did not finish within $TimeoutSeconds s. Output so far: $($run.Output) $($run.Error)" }
    if (-not $Json) { return $run }
    $at = $run.Output.LastIndexOf($Marker)
    if ($run.ExitCode -ne 0 -or $at -lt 0) { throw "The fresh pwsh exited with $($run.ExitCode): $($run.Error) $($run.Output)" }
    $run.Output.Substring($at + $Marker.Length) | ConvertFrom-Json
}

# Waits at most -WaitSeconds for a pwsh from Invoke-FreshPwsh -Background to end, kills it (and
# whatever it started) when it has not, removes its script file and returns ExitCode (the
# process's, or $null when it was killed here), Output (also as Lines), Error and TimedOut.
function Stop-FreshPwsh {
    param([AllowNull()] $Fresh, [int] $WaitSeconds = 0)
    if (-not $Fresh) { return }
    $run = [pscustomobject]@{ ExitCode = $null; Output = ''; Lines = @(); Error = ''; TimedOut = $false }
    try {
        $process = $Fresh.Process
        if ($process) {
            if (-not $process.WaitForExit($WaitSeconds * 1000)) {
                $run.TimedOut = $true
                try { $process.Kill($true) } catch [InvalidOperationException] { }
            }
            $process.WaitForExit()
            if (-not $run.TimedOut) { $run.ExitCode = $process.ExitCode }
            # A process it started that outlives it may hold the output open: wait for it a little only.
            if ($Fresh.Output -and $Fresh.Output.Wait(5000)) { $run.Output = $Fresh.Output.Result }
            if ($Fresh.Error -and $Fresh.Error.Wait(5000)) { $run.Error = $Fresh.Error.Result }
            # Dispose() leaves output streams that were read to the finalizer: close them now, so
            # that a test counting this process's descriptors does not see them.
            $process.StandardOutput.Dispose()
            $process.StandardError.Dispose()
            $process.Dispose()
            $Fresh.Process = $null
            # The output as lines, as `& pwsh ...` would give them.
            $run.Lines = @(if ($run.Output) { $run.Output -replace '\r?\n\z' -split '\r?\n' })
        }
    }
    finally { Remove-Item -LiteralPath $Fresh.File -Force -ErrorAction SilentlyContinue }
    $run
}

Export-ModuleMember -Function Invoke-FreshPwsh, Stop-FreshPwsh, Get-FreshPwshCommand
