#Requires -Version 7.4
<#
.SYNOPSIS
    What this machine can do for a fresh tree copy, beside what cp -r and Copy-SpliceItem do.
.DESCRIPTION
    Runs bench/ceiling/run.sh (needs gcc; skipped with a warning without it) for the CopyTree
    benchmark's Small4k and Large1M shapes on /dev/shm: the same fixed arithmetic on 1 thread and
    on one per processor (how much a second worker can gain on this machine at all), the module's
    system calls per file from C on 1 thread and on one per processor (safe_tree_copy.c: the
    safe path's calls and nothing else), cp -r and Copy-SpliceItem -Recurse (a fresh pwsh, timed
    inside after one warm-up copy), rotated each round, sync before each copy, medians, best and
    worst. Results: Ceiling.md in -ResultsPath.
.EXAMPLE
    ./bench/Ceiling.Bench.ps1 -ModulePath ./out/SpliceModule -ResultsPath ./bench/results -Quick
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    # 3 rounds and Small4k only: for checking the script, not for numbers.
    [switch] $Quick,
    [ValidateRange(1, 99)]
    [int] $Rounds = 11
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Command gcc -CommandType Application -ErrorAction Ignore)) {
    Write-Warning 'gcc is not installed: the ceiling benchmark is skipped (apt-get install gcc).'
    return
}

$script = Join-Path $PSScriptRoot 'ceiling/run.sh'
$base = if (Test-Path -LiteralPath /dev/shm -PathType Container) { '/dev/shm' } else { [IO.Path]::GetTempPath() }
$env:MODULE = (Resolve-Path -LiteralPath $ModulePath).Path
$env:PWSH = Join-Path $PSHOME 'pwsh'
$shapes = if ($Quick) { @('Small4k') } else { @('Small4k', 'Large1M') }
$sections = foreach ($shape in $shapes) {
    Write-Host "== $shape"
    $lines = @(bash $script $base $(if ($Quick) { 3 } else { $Rounds }) $shape)
    if ($LASTEXITCODE) { throw "bench/ceiling/run.sh $shape failed." }
    $lines | Write-Host
    "## $shape`n`n$($lines -join "`n")`n"
}

$null = New-Item -ItemType Directory -Path $ResultsPath -Force
$text = "# Ceiling benchmark`n`nWhat two workers can gain on this machine, and where the module's tree copy stands against the bare system calls of its safe path (bench/ceiling/). Ratios above 1 are faster than cp -r.`n`n$($sections -join "`n")"
Set-Content -LiteralPath (Join-Path $ResultsPath 'Ceiling.md') -Value $text
