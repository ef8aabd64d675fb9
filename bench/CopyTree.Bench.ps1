#Requires -Version 7.4
<#
.SYNOPSIS
    Copy-SpliceItem against Copy-Item and cp where users feel the difference: a tree of many
    small files, a sparse disk image, and what progress reporting costs on a large file.
.DESCRIPTION
    All contenders run in this one pwsh session (as a user would compare them), module imported
    and warmed up first. Each round runs the contenders in a rotated order, removes the previous
    destination and runs `sync` before every copy; the table shows medians and ratios.
    1. Tree: 5,000 files of 4 KiB in 50 directories (Quick: 500 in 10), measured on each of
       -TreePath (tmpfs and the work path by default: the kernel's share differs a lot), one
       table each. Contenders: Copy-SpliceItem -Recurse (default -ThrottleLimit, and 1),
       Copy-Item -Recurse, cp -r. Goals: at least 5x faster than Copy-Item, within 1.5x of cp -r.
    2. Sparse image: 4 GiB with 4 MiB of data in four extents (Quick: 512 MiB). Contenders:
       Copy-SpliceItem, Copy-Item, cp; with the allocated size of each copy (stat %b).
    3. Progress: one 1 GiB file (Quick: 128 MiB) copied by Copy-SpliceItem with
       $ProgressPreference Continue and SilentlyContinue.
    Results: CopyTree.md and CopyTree.json in -ResultsPath.
.EXAMPLE
    ./bench/CopyTree.Bench.ps1 -ModulePath ./out/SpliceModule -ResultsPath ./bench/results -Quick
.EXAMPLE
    ./bench/CopyTree.Bench.ps1 -ModulePath ./out/SpliceModule -ResultsPath ./bench/results -Part Tree
    Only the tree, in full, on /dev/shm and on the work path.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    # Small sizes and 3 rounds: for checking the script, not for numbers.
    [switch] $Quick,
    # Where the files go; the file system decides which copy methods apply.
    [string] $WorkPath = [IO.Path]::GetTempPath(),
    # Where the tree is copied, one table each (those that do not exist are skipped).
    [string[]] $TreePath = @('/dev/shm', $WorkPath),
    # Which parts to run.
    [ValidateSet('Tree', 'Sparse', 'Progress')]
    [string[]] $Part = @('Tree', 'Sparse', 'Progress')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Resolve-Path -LiteralPath $ModulePath).Path -Force

$rounds = if ($Quick) { 3 } else { 7 }
$treeDirs, $treeFilesPerDir = if ($Quick) { 10, 50 } else { 50, 100 }
$sparseSize = if ($Quick) { 512MB } else { 4GB }
$progressSize = if ($Quick) { 128MB } else { 1GB }

$work = Join-Path $WorkPath "splicemodule-treebench-$PID"
New-Item -ItemType Directory -Path $work | Out-Null

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $middle = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

# Runs each contender once per round (plus an untimed warm-up round) in rotated order.
# $Contenders: ordered name -> scriptblock taking ($Source, $Destination).
function Measure-Contenders([Collections.Specialized.OrderedDictionary] $Contenders, [string] $Source, [string] $Destination, [scriptblock] $Inspect) {
    $names = @($Contenders.Keys)
    $samples = @{}
    $facts = @{}
    foreach ($name in $names) { $samples[$name] = [Collections.Generic.List[double]]::new() }
    foreach ($round in 0..$rounds) {
        $order = foreach ($i in 0..($names.Count - 1)) { $names[($i + $round) % $names.Count] }
        foreach ($name in $order) {
            if (Test-Path -LiteralPath $Destination) { Remove-Item -LiteralPath $Destination -Recurse -Force }
            sync
            $clock = [Diagnostics.Stopwatch]::StartNew()
            & $Contenders[$name] $Source $Destination
            $clock.Stop()
            if ($round -gt 0) { $samples[$name].Add($clock.Elapsed.TotalSeconds) }
            if ($Inspect) { $facts[$name] = & $Inspect $Destination }
        }
        Write-Host ("  round {0}: {1}" -f $(if ($round) { $round } else { 'warm-up' }), ($order -join ', '))
    }
    if (Test-Path -LiteralPath $Destination) { Remove-Item -LiteralPath $Destination -Recurse -Force }
    foreach ($name in $names) {
        [pscustomobject]@{ Contender = $name; Median = (Get-Median $samples[$name]); Samples = @($samples[$name]); Fact = $facts[$name] }
    }
}

function Format-Rows([object[]] $Measured, [string] $Baseline, [string] $FactName) {
    $base = ($Measured | Where-Object Contender -EQ $Baseline).Median
    foreach ($m in $Measured) {
        $row = [ordered]@{
            Contender = $m.Contender
            MedianSeconds = [Math]::Round($m.Median, 4)
            "VsBaseline" = [Math]::Round($m.Median / $base, 2)
        }
        if ($FactName) { $row[$FactName] = $m.Fact }
        $row['Samples'] = @($m.Samples | ForEach-Object { [Math]::Round($_, 4) })
        [pscustomobject]$row
    }
}

$sections = [ordered]@{}
$previousProgress = $ProgressPreference
try {
    $ProgressPreference = 'SilentlyContinue'
    $fileSystem = (findmnt -n -o FSTYPE -T $work 2>$null | Select-Object -Last 1)
    $treeFileSystems = [ordered]@{}

    # 1. Tree of small files, on each tree path.
    $defaultThrottle = [SpliceModule.Commands.CopySpliceItemCommand]::new().ThrottleLimit
    $treeContenders = [ordered]@{
        "Copy-SpliceItem -Recurse (ThrottleLimit $defaultThrottle)" = { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse }
        'Copy-SpliceItem -Recurse -ThrottleLimit 1' = { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse -ThrottleLimit 1 }
        'Copy-Item -Recurse' = { param($s, $d) Copy-Item -LiteralPath $s -Destination $d -Recurse }
        'cp -r' = { param($s, $d) cp -r -- $s $d }
    }
    $treeRoots = @($TreePath | Where-Object { $_ -and (Test-Path -LiteralPath $_ -PathType Container) } | Select-Object -Unique)
    foreach ($treeRoot in $(if ('Tree' -in $Part) { $treeRoots })) {
        $treeWork = if ($treeRoot -eq $WorkPath) { $work } else { Join-Path $treeRoot "splicemodule-treebench-$PID" }
        $null = New-Item -ItemType Directory -Path $treeWork -Force
        try {
            $treeFs = (findmnt -n -o FSTYPE -T $treeWork 2>$null | Select-Object -Last 1)
            $treeFileSystems[$treeRoot] = $treeFs
            $tree = Join-Path $treeWork 'tree'
            Write-Host "Making $($treeDirs * $treeFilesPerDir) files of 4 KiB in $tree ($treeFs) ..."
            bash -c "for d in `$(seq $treeDirs); do mkdir -p '$tree/d'`$d; for f in `$(seq $treeFilesPerDir); do head -c 4096 /dev/urandom > '$tree/d'`$d/f`$f.bin; done; done"
            Write-Host "Tree on $treeRoot ($treeFs):"
            $measured = Measure-Contenders $treeContenders $tree (Join-Path $treeWork 'tree.copy') { param($d) @(Get-ChildItem -LiteralPath $d -Recurse -File).Count }
            $splice = ($measured | Where-Object Contender -Like 'Copy-SpliceItem -Recurse (*').Median
            $sections["Tree $treeRoot"] = @{
                Title = "$($treeDirs * $treeFilesPerDir) files of 4 KiB on $treeRoot ($treeFs) (ratio against cp -r; Copy-Item / Copy-SpliceItem is the speed-up)"
                Rows = @(Format-Rows $measured 'cp -r' 'Files')
                SpeedUpOverCopyItem = [Math]::Round(($measured | Where-Object Contender -EQ 'Copy-Item -Recurse').Median / $splice, 2)
                VersusCp = [Math]::Round($splice / ($measured | Where-Object Contender -EQ 'cp -r').Median, 2)
            }
        }
        finally {
            Remove-Item -LiteralPath $(if ($treeWork -eq $work) { $tree } else { $treeWork }) -Recurse -Force -ErrorAction Ignore
        }
    }

    # 2. Sparse image.
    if ('Sparse' -in $Part) {
        $image = Join-Path $work 'sparse.img'
        Write-Host "Making a $($sparseSize / 1MB) MiB sparse image with 4 MiB of data ..."
        truncate -s $sparseSize $image
        foreach ($i in 0..3) {
            $seek = [long]($sparseSize / 1MB / 4 * $i)
            dd if=/dev/urandom "of=$image" bs=1M count=1 "seek=$seek" conv=notrunc status=none
        }
        $sparseContenders = [ordered]@{
            'Copy-SpliceItem' = { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d }
            'Copy-Item' = { param($s, $d) Copy-Item -LiteralPath $s -Destination $d }
            'cp' = { param($s, $d) cp -- $s $d }
        }
        Write-Host 'Sparse image:'
        $measured = Measure-Contenders $sparseContenders $image (Join-Path $work 'sparse.copy') { param($d) '{0:0.0} MiB' -f ([long](stat -c %b -- $d) * 512 / 1MB) }
        $sections['Sparse'] = @{
            Title = "$($sparseSize / 1MB) MiB image with 4 MiB of data (source allocates $('{0:0.0}' -f ([long](stat -c %b -- $image) * 512 / 1MB)) MiB; ratio against cp)"
            Rows = @(Format-Rows $measured 'cp' 'Allocated')
        }
        Remove-Item -LiteralPath $image
    }

    # 3. The cost of progress reporting.
    if ('Progress' -in $Part) {
        $large = Join-Path $work 'large.bin'
        Write-Host "Making a $($progressSize / 1MB) MiB file ..."
        bash -c "head -c $progressSize /dev/urandom > '$large'"
        $progressContenders = [ordered]@{
            'ProgressPreference SilentlyContinue' = { param($s, $d) $ProgressPreference = 'SilentlyContinue'; Copy-SpliceItem -LiteralPath $s -Destination $d }
            'ProgressPreference Continue' = { param($s, $d) $ProgressPreference = 'Continue'; Copy-SpliceItem -LiteralPath $s -Destination $d }
        }
        Write-Host 'Progress:'
        $measured = Measure-Contenders $progressContenders $large (Join-Path $work 'large.copy') $null
        $sections['Progress'] = @{
            Title = "One $($progressSize / 1MB) MiB file by Copy-SpliceItem (ratio against no progress)"
            Rows = @(Format-Rows $measured 'ProgressPreference SilentlyContinue' $null)
        }
    }
}
finally {
    $ProgressPreference = $previousProgress
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

$meta = [ordered]@{
    Date = (Get-Date).ToUniversalTime().ToString('u')
    Quick = [bool]$Quick
    Rounds = $rounds
    FileSystem = $fileSystem
    TreeFileSystems = $treeFileSystems
    Load = (Get-Content -LiteralPath /proc/loadavg -ErrorAction Ignore)
    Kernel = (uname -r)
    Cores = [Environment]::ProcessorCount
}
New-Item -ItemType Directory -Path $ResultsPath -Force | Out-Null
$markdown = [Text.StringBuilder]::new()
$null = $markdown.AppendLine('# CopyTree benchmark').AppendLine()
$null = $markdown.AppendLine("$($meta.Date), $($meta.FileSystem), kernel $($meta.Kernel), $($meta.Cores) cores, load $($meta.Load), medians of $rounds rounds$(if ($Quick) { ' (-Quick: small sizes, not for numbers)' })").AppendLine()
foreach ($key in $sections.Keys) {
    $section = $sections[$key]
    Write-Host "`n$($section.Title)"
    $section.Rows | Select-Object * -ExcludeProperty Samples | Format-Table -AutoSize | Out-String | Write-Host
    $null = $markdown.AppendLine("## $($section.Title)").AppendLine()
    $columns = @($section.Rows[0].PSObject.Properties.Name | Where-Object { $_ -ne 'Samples' })
    $null = $markdown.AppendLine('| ' + ($columns -join ' | ') + ' |').AppendLine('|' + ('---|' * $columns.Count))
    foreach ($row in $section.Rows) { $null = $markdown.AppendLine('| ' + (($columns | ForEach-Object { $row.$_ }) -join ' | ') + ' |') }
    if ($section.Contains('SpeedUpOverCopyItem')) {
        $verdict = "Copy-SpliceItem -Recurse is $($section.SpeedUpOverCopyItem)x as fast as Copy-Item -Recurse (goal: 5x) and takes $($section.VersusCp)x the time of cp -r (goal: 1.5x)."
        $null = $markdown.AppendLine().AppendLine($verdict)
        Write-Host $verdict
    }
    $null = $markdown.AppendLine()
}
Set-Content -LiteralPath (Join-Path $ResultsPath 'CopyTree.md') -Value $markdown.ToString()
[ordered]@{ Meta = $meta; Sections = $sections } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $ResultsPath 'CopyTree.json')
Write-Host "Results in $(Join-Path $ResultsPath 'CopyTree.md')"
