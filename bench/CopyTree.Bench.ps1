#Requires -Version 7.4
<#
.SYNOPSIS
    Tree copies by Copy-SpliceItem -Recurse against cp -r, cp -a, rsync -a and Copy-Item -Recurse
    on the shapes of the fuc benchmark suite that fit a small machine; then a sparse disk image
    and what progress reporting costs on a large file.
.DESCRIPTION
    All contenders run from this one pwsh session, module imported. Copy-SpliceItem and Copy-Item
    are timed inside this process with a Stopwatch after an untimed warm-up round (JIT, probes);
    cp and rsync are timed around their process from here. Each round runs the contenders in a
    rotated order; before every copy the previous destination is removed (rm -rf) and `sync`
    runs, and for a cold round `echo 3 > /proc/sys/vm/drop_caches` follows (root only, through sh;
    skipped on tmpfs, whose files live in the page cache and cannot be dropped); last, three times
    the source's size (at least 256 MiB) of memory is touched and freed (Reset-MemoryState,
    MemoryState.ps1), so that no contender's pages come from memory the VM handed back to its host. Tables give medians, best
    and worst of -Rounds rounds and the ratio against cp -r (below 1 is faster).
    1. Tree shapes (-Shape), each on every -TreePath (tmpfs and the work path by default):
       Empty10k   10,000 empty files in 100 directories        (Quick: 1,000 in 10)
       Flat100k   100,000 empty files in one directory         (Quick: 5,000)
       Small4k    5,000 files of 4 KiB in 50 directories       (Quick: 500 in 10)
       Large1M    1,000 files of 1 MiB in 10 directories       (Quick: 20 in 2)
       Real       a copy of -RealTree (/usr/share/man: ~24,000 entries, links included; Quick: /usr/share/zoneinfo)
       Off tmpfs the file counts are divided by -DiskScale (20) and Real copies -DiskRealTree
       (/usr/share/zoneinfo): after a sync, a disk's file creations take about a millisecond each.
       For the shapes of 100,000 entries or more, the peak working set (VmHWM) of a fresh pwsh
       making the copy is reported beside that of a fresh pwsh that imported the module and
       copied one small tree (idle), and GNU time's peak for cp -r.
    2. Sparse image: 4 GiB with 4 MiB of data in four extents (Quick: 512 MiB). Contenders:
       Copy-SpliceItem, Copy-Item, cp; with the allocated size of each copy (stat %b).
    3. Progress: one 1 GiB file (Quick: 128 MiB) copied by Copy-SpliceItem with
       $ProgressPreference Continue and SilentlyContinue.
    4. FirstCopy: what a one-shot job (a fresh pwsh) pays for its first tree copy, 5,000 files of
       4 KiB on tmpfs (Quick: 500): each round starts a pwsh that imports the module and times its
       first Copy-SpliceItem -Recurse (or Copy-Item -Recurse) with a Stopwatch inside; cp -r
       around its process. The module's JIT compilation lands in this copy, not in a warm-up.
    The sparse image and progress run first, the tree shapes after them with Flat100k last, and
    the results are saved after every table, so a run cut short keeps what it measured.
    Results: CopyTree.md and CopyTree.json in -ResultsPath. The full run takes 30-60 minutes on
    two cores, most of it Copy-Item on 100,000 files.
.EXAMPLE
    ./bench/CopyTree.Bench.ps1 -ModulePath ./out/SpliceModule -ResultsPath ./bench/results -Quick
.EXAMPLE
    ./bench/CopyTree.Bench.ps1 -ModulePath ./out/SpliceModule -ResultsPath /tmp/r -Part Tree -Shape Small4k -Cache Warm
    Only 5,000 files of 4 KiB, warm, on /dev/shm and on the work path.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    # Small sizes, 3 rounds, warm only: for checking the script, not for numbers.
    [switch] $Quick,
    # Where the files go; the file system decides which copy methods apply.
    [string] $WorkPath = [IO.Path]::GetTempPath(),
    # Where the trees are made and copied, one table each per shape (those that do not exist are skipped).
    [string[]] $TreePath = @('/dev/shm', $WorkPath),
    [ValidateSet('Empty10k', 'Flat100k', 'Small4k', 'Large1M', 'Real')]
    [string[]] $Shape = @('Empty10k', 'Flat100k', 'Small4k', 'Large1M', 'Real'),
    [ValidateSet('Warm', 'Cold')]
    [string[]] $Cache = @('Warm', 'Cold'),
    # The real tree copied in the Real shape.
    [string] $RealTree = '/usr/share/man',
    # On file systems other than tmpfs (a disk: ext4 here creates a file in about a millisecond
    # after a sync), the shapes' file counts are divided by this and Real copies -DiskRealTree,
    # so that the whole run stays within half an hour. 1 runs the full shapes everywhere.
    [ValidateRange(1, 1000)]
    [int] $DiskScale = 20,
    [string] $DiskRealTree = '/usr/share/zoneinfo',
    # Timed rounds (after the warm-up round).
    [ValidateRange(1, 99)]
    [int] $Rounds = 7,
    # Which parts to run.
    [ValidateSet('Tree', 'Sparse', 'Progress', 'FirstCopy')]
    [string[]] $Part = @('Tree', 'Sparse', 'Progress', 'FirstCopy')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'MemoryState.ps1')
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
Import-Module $ModulePath -Force

$rounds = if ($Quick) { 3 } else { $Rounds }
if ($Quick) { $Cache = @('Warm'); if ($RealTree -eq '/usr/share/man') { $RealTree = '/usr/share/zoneinfo' } }
$sparseSize = if ($Quick) { 512MB } else { 4GB }
$progressSize = if ($Quick) { 128MB } else { 1GB }
$pwsh = Join-Path $PSHOME 'pwsh'
$timeTool = if (Test-Path /usr/bin/time) { '/usr/bin/time' }
# Written through the shell: .NET's open of /proc/sys/vm/drop_caches is refused (EACCES) where echo works.
function Clear-Caches { sh -c 'echo 3 > /proc/sys/vm/drop_caches' 2>$null; $LASTEXITCODE -eq 0 }
$canDropCaches = (id -u) -eq '0' -and (Clear-Caches)

# name -> @{ Dirs; Files; Bytes; Entries; Text }
$shapeSpecs = [ordered]@{
    Empty10k = if ($Quick) { @{ Dirs = 10; Files = 100; Bytes = 0 } } else { @{ Dirs = 100; Files = 100; Bytes = 0 } }
    Flat100k = if ($Quick) { @{ Dirs = 0; Files = 5000; Bytes = 0 } } else { @{ Dirs = 0; Files = 100000; Bytes = 0 } }
    Small4k = if ($Quick) { @{ Dirs = 10; Files = 50; Bytes = 4096 } } else { @{ Dirs = 50; Files = 100; Bytes = 4096 } }
    Large1M = if ($Quick) { @{ Dirs = 2; Files = 10; Bytes = 1MB } } else { @{ Dirs = 10; Files = 100; Bytes = 1MB } }
    Real = @{ Dirs = -1; Files = 0; Bytes = 0 }
}

$work = Join-Path $WorkPath "splicemodule-treebench-$PID"
New-Item -ItemType Directory -Path $work | Out-Null

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $middle = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

# -MemoryBytes: memory touched and freed last, just before the copy (MemoryState.ps1).
function Reset-Destination([string] $Destination, [switch] $Cold, [long] $MemoryBytes) {
    if (Test-Path -LiteralPath $Destination) { rm -rf -- $Destination }
    sync
    if ($Cold -and -not (Clear-Caches)) { throw 'Dropping the caches failed.' }
    if ($MemoryBytes) { Reset-MemoryState $MemoryBytes }
}

# Runs each contender once per round (plus an untimed warm-up round) in rotated order.
# $Contenders: ordered name -> scriptblock taking ($Source, $Destination); one that returns a
# [timespan] (a fresh pwsh timing its own copy) is measured by it instead of around it.
function Measure-Contenders([Collections.Specialized.OrderedDictionary] $Contenders, [string] $Source, [string] $Destination, [scriptblock] $Inspect, [switch] $Cold) {
    $names = @($Contenders.Keys)
    $samples = @{}
    $facts = @{}
    foreach ($name in $names) { $samples[$name] = [Collections.Generic.List[double]]::new() }
    $memoryBytes = Get-MemoryResetBytes ([long](du -s -B1 -- $Source | ForEach-Object { ($_ -split '\s+')[0] }))
    foreach ($round in 0..$rounds) {
        $order = foreach ($i in 0..($names.Count - 1)) { $names[($i + $round) % $names.Count] }
        foreach ($name in $order) {
            Reset-Destination $Destination -Cold:$Cold -MemoryBytes $memoryBytes
            $global:LASTEXITCODE = 0
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $own = @(& $Contenders[$name] $Source $Destination) | Where-Object { $_ -is [timespan] } | Select-Object -Last 1
            $clock.Stop()
            if ($LASTEXITCODE) { throw "$name failed with exit code $LASTEXITCODE." }
            if ($round -gt 0) { $samples[$name].Add($(if ($own) { $own.TotalSeconds } else { $clock.Elapsed.TotalSeconds })) }
            if ($Inspect) { $facts[$name] = & $Inspect $Destination }
        }
        Write-Host ("  round {0}: {1}" -f $(if ($round) { $round } else { 'warm-up' }), ($order -join ', '))
    }
    Reset-Destination $Destination
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
            BestSeconds = [Math]::Round(($m.Samples | Measure-Object -Minimum).Minimum, 4)
            WorstSeconds = [Math]::Round(($m.Samples | Measure-Object -Maximum).Maximum, 4)
            "VsBaseline" = [Math]::Round($m.Median / $base, 2)
        }
        if ($FactName) { $row[$FactName] = $m.Fact }
        $row['Samples'] = @($m.Samples | ForEach-Object { [Math]::Round($_, 4) })
        [pscustomobject]$row
    }
}

# A shape as made on a file system: scaled down by $Scale (directories first, then files per directory).
function Get-ShapeSpec([string] $Name, [int] $Scale) {
    $spec = $shapeSpecs[$Name].Clone()
    $spec.Real = if ($Scale -gt 1) { $DiskRealTree } else { $RealTree }
    if ($Scale -gt 1 -and $spec.Dirs -ne -1) {
        $dirs = [Math]::Max(1, [Math]::Floor($spec.Dirs / $Scale))
        $spec.Files = [Math]::Max(1, [Math]::Floor($spec.Files * [Math]::Max(1, $spec.Dirs) / $Scale / [Math]::Max(1, $dirs)))
        if ($spec.Dirs -gt 0) { $spec.Dirs = $dirs }
    }
    $spec
}

# Makes a shape's source tree under $Root (bash: thousands of files in seconds).
function New-ShapeTree([string] $Name, [hashtable] $Spec, [string] $Root) {
    $spec = $Spec
    $null = New-Item -ItemType Directory -Path $Root
    if ($Name -eq 'Real') {
        cp -a -- "$($spec.Real)/." $Root
        return
    }
    $fill = if ($spec.Bytes -eq 0) { 'xargs touch' } else { "while read -r f; do head -c $($spec.Bytes) /dev/urandom > `"`$f`"; done" }
    if ($spec.Dirs -eq 0) {
        bash -c "cd '$Root' && seq -f f%g $($spec.Files) | $fill"
    }
    else {
        bash -c "cd '$Root' && for d in `$(seq $($spec.Dirs)); do mkdir d`$d; seq -f d`$d/f%g $($spec.Files) | $fill; done"
    }
    if ($LASTEXITCODE) { throw "Making the $Name tree failed." }
}

function Get-EntryCount([string] $Root) { [int](bash -c "find '$Root' | wc -l") }

# A fresh pwsh that imported the module runs $Script, which prints one number last; returns it.
function Get-FreshPwshNumber([string] $Script, [string] $What) {
    $output = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; `$ProgressPreference = 'SilentlyContinue'; $Script"
    if ($LASTEXITCODE) { throw "The $What child failed: $output" }
    [long](@($output)[-1])
}

# Peak resident set (VmHWM, KiB) of a fresh pwsh running $Script.
function Get-PwshPeak([string] $Script) {
    Get-FreshPwshNumber "$Script; (Get-Content /proc/self/status | Select-String '^VmHWM:\s+(\d+)').Matches[0].Groups[1].Value" 'peak-memory'
}

# The first copy of a fresh pwsh, timed inside it.
function Measure-FirstCopy([string] $Copy) {
    [timespan]::new((Get-FreshPwshNumber "`$clock = [Diagnostics.Stopwatch]::StartNew(); $Copy; `$clock.Elapsed.Ticks" 'first-copy'))
}

# Writes CopyTree.md and CopyTree.json with every table so far (after each one, and at the end).
function Save-Results([switch] $Final) {
    $meta = [ordered]@{
        Date = (Get-Date).ToUniversalTime().ToString('u')
        Quick = [bool]$Quick
        Rounds = $rounds
        FileSystem = $fileSystem
        TreeFileSystems = $treeFileSystems
        Load = (Get-Content -LiteralPath /proc/loadavg -ErrorAction Ignore)
        Kernel = (uname -r)
        Cores = [Environment]::ProcessorCount
        DiskScale = $DiskScale
        Timing = 'Copy-SpliceItem and Copy-Item: Stopwatch inside the benchmark''s pwsh, after a warm-up round; cp and rsync: around their process, from that pwsh'
    }
    New-Item -ItemType Directory -Path $ResultsPath -Force | Out-Null
    $markdown = [Text.StringBuilder]::new()
    $null = $markdown.AppendLine('# CopyTree benchmark').AppendLine()
    $null = $markdown.AppendLine("$($meta.Date), $($meta.FileSystem), kernel $($meta.Kernel), $($meta.Cores) cores, load $($meta.Load) at the end, medians of $rounds rounds$(if ($Quick) { ' (-Quick: small sizes, not for numbers)' })").AppendLine()
    $null = $markdown.AppendLine("$($meta.Timing). Before every copy: rm -rf of the last destination and sync; cold rounds then drop the page, dentry and inode caches; last, three times the source's size (at least 256 MiB) of memory is touched and freed, so that no contender's pages come from memory the VM has handed back to its host (MemoryState.ps1). Off tmpfs the shapes' file counts are divided by $DiskScale (-DiskScale) and Real copies $DiskRealTree.").AppendLine()
    function Add-Table([object[]] $Rows, [string] $Title) {
        if ($Final) {
            Write-Host "`n$Title"
            $Rows | Select-Object * -ExcludeProperty Samples | Format-Table -AutoSize | Out-String | Write-Host
        }
        $null = $markdown.AppendLine("## $Title").AppendLine()
        $columns = @($Rows[0].PSObject.Properties.Name | Where-Object { $_ -ne 'Samples' })
        $null = $markdown.AppendLine('| ' + ($columns -join ' | ') + ' |').AppendLine('|' + ('---|' * $columns.Count))
        foreach ($row in $Rows) { $null = $markdown.AppendLine('| ' + (($columns | ForEach-Object { $row.$_ }) -join ' | ') + ' |') }
        $null = $markdown.AppendLine()
    }
    if ($summary.Count) { Add-Table $summary.ToArray() 'Summary: Copy-SpliceItem -Recurse against cp -r (VsCpR below 1 is faster; SpeedUpOverCpR is its inverse)' }
    if ($memory.Count) { Add-Table $memory.ToArray() 'Peak working set (VmHWM) of a fresh pwsh copying the tree, against one that copied a one-file tree; cp -r by GNU time' }
    foreach ($key in $sections.Keys) { Add-Table $sections[$key].Rows $sections[$key].Title }
    Set-Content -LiteralPath (Join-Path $ResultsPath 'CopyTree.md') -Value $markdown.ToString()
    [ordered]@{ Meta = $meta; Summary = $summary; Memory = $memory; Sections = $sections } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $ResultsPath 'CopyTree.json')
    if ($Final) { Write-Host "Results in $(Join-Path $ResultsPath 'CopyTree.md')" }
}

$sections = [ordered]@{}
$fileSystem = $null
$treeFileSystems = [ordered]@{}
$summary = [Collections.Generic.List[object]]::new()
$memory = [Collections.Generic.List[object]]::new()
$previousProgress = $ProgressPreference
try {
    $ProgressPreference = 'SilentlyContinue'
    $fileSystem = (findmnt -n -o FSTYPE -T $work 2>$null | Select-Object -Last 1)

    # Sparse image and progress first: short, and kept when a long tree run is cut short.
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
        Save-Results
        Remove-Item -LiteralPath $image
    }

    # The cost of progress reporting.
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
        Save-Results
    }

    # A fresh pwsh's first tree copy.
    if ('FirstCopy' -in $Part -and (Test-Path -LiteralPath /dev/shm -PathType Container)) {
        $firstWork = Join-Path /dev/shm "splicemodule-treebench-$PID"
        try {
            $null = New-Item -ItemType Directory -Path $firstWork -Force
            $tree = Join-Path $firstWork 'Small4k'
            $spec = Get-ShapeSpec 'Small4k' 1
            New-ShapeTree 'Small4k' $spec $tree
            $firstContenders = [ordered]@{
                'Copy-SpliceItem -Recurse' = { param($s, $d) Measure-FirstCopy "Copy-SpliceItem -LiteralPath '$s' -Destination '$d' -Recurse" }
                'Copy-Item -Recurse' = { param($s, $d) Measure-FirstCopy "Copy-Item -LiteralPath '$s' -Destination '$d' -Recurse" }
                'cp -r' = { param($s, $d) cp -r -- $s $d }
            }
            Write-Host 'First tree copy of a fresh pwsh:'
            $measured = Measure-Contenders $firstContenders $tree (Join-Path $firstWork 'Small4k.copy') { param($d) Get-EntryCount $d }
            $sections['FirstCopy'] = @{
                Title = "The first tree copy of a fresh pwsh (timed inside it, after Import-Module): $($spec.Dirs * $spec.Files) files of 4 KiB in $($spec.Dirs) directories on /dev/shm (ratio against cp -r)"
                Rows = @(Format-Rows $measured 'cp -r' 'Entries')
            }
            Save-Results
        }
        finally { rm -rf -- $firstWork }
    }

    # Tree shapes, on each tree path, warm and cold.
    $treeContenders = [ordered]@{
        'Copy-SpliceItem -Recurse' = { param($s, $d) Copy-SpliceItem -LiteralPath $s -Destination $d -Recurse }
        'Copy-Item -Recurse' = { param($s, $d) Copy-Item -LiteralPath $s -Destination $d -Recurse }
        'cp -r' = { param($s, $d) cp -r -- $s $d }
        'cp -a' = { param($s, $d) cp -a -- $s $d }
        'rsync -a' = { param($s, $d) rsync -a -- "$s/" $d }
    }
    if (-not (Get-Command rsync -CommandType Application -ErrorAction Ignore)) { $treeContenders.Remove('rsync -a'); Write-Warning 'rsync is not installed: left out.' }
    $treeRoots = @($TreePath | Where-Object { $_ -and (Test-Path -LiteralPath $_ -PathType Container) } | Select-Object -Unique)
    # The longest shape last, so that a run cut short keeps the others (results are saved after each table).
    $shapeOrder = @($Shape | Sort-Object { $_ -eq 'Flat100k' })
    foreach ($shapeName in $(if ('Tree' -in $Part) { $shapeOrder })) {
      foreach ($treeRoot in $treeRoots) {
        $treeWork = if ($treeRoot -eq $WorkPath) { $work } else { Join-Path $treeRoot "splicemodule-treebench-$PID" }
        $null = New-Item -ItemType Directory -Path $treeWork -Force
        try {
            $treeFs = (findmnt -n -o FSTYPE -T $treeWork 2>$null | Select-Object -Last 1)
            $treeFileSystems[$treeRoot] = $treeFs
            & {
                $tree = Join-Path $treeWork $shapeName
                $copy = Join-Path $treeWork "$shapeName.copy"
                Write-Host "Making the $shapeName tree in $tree ($treeFs) ..."
                $spec = Get-ShapeSpec $shapeName $(if ($treeFs -eq 'tmpfs') { 1 } else { $DiskScale })
                New-ShapeTree $shapeName $spec $tree
                $entries = Get-EntryCount $tree
                $text = if ($shapeName -eq 'Real') { "a copy of $($spec.Real) ($entries entries)" }
                elseif ($spec.Dirs -eq 0) { "$($spec.Files) empty files in one directory" }
                else { '{0} {1} in {2} directories' -f ($spec.Dirs * $spec.Files), $(if ($spec.Bytes) { "files of $($spec.Bytes / 1KB) KiB" } else { 'empty files' }), $spec.Dirs }
                foreach ($state in $Cache) {
                    $cold = $state -eq 'Cold'
                    if ($cold -and ($treeFs -eq 'tmpfs' -or -not $canDropCaches)) {
                        Write-Host "  cold: skipped on $treeRoot ($(if ($treeFs -eq 'tmpfs') { 'tmpfs cannot drop its files' } else { 'dropping caches needs root' }))"
                        continue
                    }
                    Write-Host "$text on $treeRoot ($treeFs), $($state.ToLower()):"
                    $measured = @(Measure-Contenders $treeContenders $tree $copy { param($d) Get-EntryCount $d } -Cold:$cold)
                    $rows = @(Format-Rows $measured 'cp -r' 'Entries')
                    $key = "$shapeName $treeRoot $state"
                    $sections[$key] = @{ Title = "$text on $treeRoot ($treeFs), $($state.ToLower()) cache (ratio against cp -r)"; Rows = $rows }
                    $splice = $rows | Where-Object Contender -EQ 'Copy-SpliceItem -Recurse'
                    $summary.Add([pscustomobject][ordered]@{
                            Shape = $shapeName; FileSystem = $treeFs; Cache = $state; Entries = $entries
                            SpliceSeconds = $splice.MedianSeconds
                            CpRSeconds = ($rows | Where-Object Contender -EQ 'cp -r').MedianSeconds
                            VsCpR = $splice.VsBaseline
                            SpeedUpOverCpR = [Math]::Round(1 / $splice.VsBaseline, 2)
                            VsCpA = [Math]::Round($splice.MedianSeconds / ($rows | Where-Object Contender -EQ 'cp -a').MedianSeconds, 2)
                            VsCopyItem = [Math]::Round($splice.MedianSeconds / ($rows | Where-Object Contender -EQ 'Copy-Item -Recurse').MedianSeconds, 2)
                        })
                    Save-Results
                }
                if ($entries -ge 100000 -or ($Quick -and $shapeName -eq 'Flat100k')) {
                    Write-Host "  peak working set for $shapeName on $treeRoot ..."
                    $small = Join-Path $treeWork 'idle-tree'
                    $null = New-Item -ItemType Directory -Path $small; $null = New-Item -ItemType File -Path (Join-Path $small 'f')
                    $warmUp = "Copy-SpliceItem -LiteralPath '$small' -Destination '$small.copy' -Recurse; rm -rf -- '$small.copy'"
                    Reset-Destination $copy
                    $idle = Get-PwshPeak $warmUp
                    $busy = Get-PwshPeak "$warmUp; Copy-SpliceItem -LiteralPath '$tree' -Destination '$copy' -Recurse"
                    Reset-Destination $copy
                    $cpPeak = if ($timeTool) { [long]"$(& $timeTool -f '%M' cp -r -- $tree $copy 2>&1 | Select-Object -Last 1)" }
                    Reset-Destination $copy
                    Remove-Item -LiteralPath $small -Recurse -Force
                    $memory.Add([pscustomobject][ordered]@{
                            Shape = $shapeName; FileSystem = $treeFs; Entries = $entries
                            IdlePwshMiB = [Math]::Round($idle / 1KB, 1); CopyPwshMiB = [Math]::Round($busy / 1KB, 1)
                            AboveIdleMiB = [Math]::Round(($busy - $idle) / 1KB, 1); CpRMiB = if ($cpPeak) { [Math]::Round($cpPeak / 1KB, 1) }
                        })
                    Save-Results
                }
                rm -rf -- $tree $copy
            }
        }
        finally {
            if ($treeWork -eq $work) { Get-ChildItem -LiteralPath $work | ForEach-Object { rm -rf -- $_.FullName } } else { rm -rf -- $treeWork }
        }
      }
    }

}
finally {
    $ProgressPreference = $previousProgress
    rm -rf -- $work
}

Save-Results -Final
