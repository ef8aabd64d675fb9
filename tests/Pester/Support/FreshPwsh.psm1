<#
.SYNOPSIS
    Runs a script in a new pwsh process (a loaded dll cannot be unloaded, and some behaviours
    depend on the environment the module was loaded with). The process is killed after
    -TimeoutSeconds so that a test can never hang the suite.
.DESCRIPTION
    Without -Json it returns the exit code and both output streams. With -Json the script's
    text is run as a script block whose result comes back as an object (through JSON); a
    process that fails then throws with its error output.
#>
Set-StrictMode -Version Latest

function Invoke-FreshPwsh {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Script,
        # Variables to set (a $null value removes the variable) in the new process only.
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 120,
        # The new process's current directory; the current file system location when omitted.
        [string] $WorkingDirectory = (Get-Location -PSProvider FileSystem).ProviderPath,
        [switch] $Json
    )

    $marker = '---SPLICEMODULE-RESULT---'
    if ($Json) {
        $Script = "`$ErrorActionPreference = 'Stop'`n`$__result = & {`n$Script`n}`n'$marker'`nConvertTo-Json -InputObject `$__result -Depth 6 -Compress"
    }
    $file = Join-Path ([IO.Path]::GetTempPath()) "splicemodule-fresh-$([guid]::NewGuid().ToString('N')).ps1"
    Set-Content -LiteralPath $file -Value $Script -Encoding utf8NoBOM
    try {
        $start = [System.Diagnostics.ProcessStartInfo]::new()
        $apphost = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
        if (Test-Path -LiteralPath $apphost) { $start.FileName = $apphost }
        else { $start.FileName = 'dotnet'; $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($argument in '-NoProfile', '-NonInteractive', '-File', $file) { $start.ArgumentList.Add($argument) }
        $start.UseShellExecute = $false
        $start.WorkingDirectory = $WorkingDirectory
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        foreach ($name in $Environment.Keys) {
            if ($null -eq $Environment[$name]) { [void]$start.Environment.Remove($name) } else { $start.Environment[$name] = [string]$Environment[$name] }
        }

        $process = [System.Diagnostics.Process]::Start($start)
        try {
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
                $process.Kill($true)
                throw "The fresh pwsh did not finish within $TimeoutSeconds s. Output so far: $($stdout.Result) $($stderr.Result)"
            }
            $process.WaitForExit()
            $run = [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
        }
        finally { $process.Dispose() }
    }
    finally { Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue }

    if (-not $Json) { return $run }
    $at = $run.Output.LastIndexOf($marker)
    if ($run.ExitCode -ne 0 -or $at -lt 0) { throw "The fresh pwsh exited with $($run.ExitCode): $($run.Error) $($run.Output)" }
    $run.Output.Substring($at + $marker.Length) | ConvertFrom-Json
}

Export-ModuleMember -Function Invoke-FreshPwsh
