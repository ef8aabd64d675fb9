BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force

    # The work runs in a fresh pwsh so that nothing else in the suite opens or closes
    # descriptors meanwhile; it prints the descriptor table before and after as JSON.
    $script:Worker = @'
param([string] $ModulePath, [string] $Dir)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

# Every open descriptor as "number -> target", except the runtime's own: the directory handle
# that lists /proc/self/fd (gone before its link can be read) and managed assemblies, which
# the runtime keeps open once loaded (error paths load System.Diagnostics.StackTrace.dll).
function Get-Descriptors {
    foreach ($entry in [IO.Directory]::GetFileSystemEntries('/proc/self/fd')) {
        $target = try { [IO.File]::ResolveLinkTarget($entry, $false).FullName } catch { $null }
        if ($target -and $target -notlike '*.dll') { '{0} -> {1}' -f [IO.Path]::GetFileName($entry), $target }
    }
}

$source = Join-Path $Dir 'leak-src.bin'
[IO.File]::WriteAllBytes($source, [byte[]]::new(300000))
$sub = New-Item -ItemType Directory -Path (Join-Path $Dir 'leak-sub')
$out = New-Item -ItemType Directory -Path (Join-Path $Dir 'leak-out')
$methods = 'Auto', 'CopyFileRange', 'Splice', 'SendFile', 'ReadWrite', 'Reflink'
$failures = 0

function Invoke-Round([int] $Pipes, [int] $Copies) {
    for ($i = 0; $i -lt $Pipes; $i++) {
        switch ($i % 10) {
            0 { New-KernelPipe -Capacity ([int]::MaxValue) -ErrorAction SilentlyContinue -ErrorVariable +script:errs | Close-SpliceDescriptor }
            1 { New-KernelPipe -Capacity 300000 -NonBlocking | Close-SpliceDescriptor }
            2 { $p = New-KernelPipe; Close-SpliceDescriptor $p.WriteEnd; Close-SpliceDescriptor $p; Close-SpliceDescriptor $p }
            default { New-KernelPipe | Close-SpliceDescriptor }
        }
    }
    for ($i = 0; $i -lt $Copies; $i++) {
        $target = Join-Path $out "copy-$($i % 7).bin"
        $parameters = @{ ErrorAction = 'SilentlyContinue'; ErrorVariable = '+script:errs' }
        switch ($i % 10) {
            6 { Copy-SpliceItem -LiteralPath (Join-Path $Dir 'missing.bin') -Destination $target @parameters }
            7 { Copy-SpliceItem -LiteralPath $source -Destination $source @parameters }
            8 { Copy-SpliceItem -LiteralPath $sub -Destination $target @parameters }
            9 { Copy-SpliceItem -LiteralPath /proc/self/status -Destination (Join-Path $out "status-$([guid]::NewGuid()).txt") @parameters }
            default { Copy-SpliceItem -LiteralPath $source -Destination $target -Method $methods[$i % $methods.Count] @parameters }
        }
    }
}

$script:errs = [Collections.ArrayList]::new()
Invoke-Round -Pipes 100 -Copies 50    # warm-up: probes, JIT, the thread pool, error paths
$before = @(Get-Descriptors)
$script:errs.Clear()
# No garbage collection meanwhile: a finalizer closing a forgotten SafeHandle would hide its leak.
$noGc = [GC]::TryStartNoGCRegion(200MB)
$allocated = [GC]::GetTotalAllocatedBytes($false)
Invoke-Round -Pipes 1000 -Copies 200
$after = @(Get-Descriptors)
$allocated = [GC]::GetTotalAllocatedBytes($false) - $allocated
$noGc = $noGc -and [Runtime.GCSettings]::LatencyMode -eq 'NoGCRegion'
if ($noGc) { [GC]::EndNoGCRegion() }
[pscustomobject]@{
    Before = $before
    After = $after
    Errors = @($script:errs | ForEach-Object { $_.FullyQualifiedErrorId -replace ',.*' } | Group-Object -NoElement | ForEach-Object { "$($_.Name)=$($_.Count)" })
    NoGc = $noGc
    Allocated = $allocated
    Leftovers = @(Get-ChildItem -LiteralPath $Dir, $out -Force -Filter '*.splicetmp').Count
} | ConvertTo-Json -Depth 3
'@
}

Describe 'Descriptor leaks' {
    It 'the descriptor table is unchanged after 1,000 pipes and 200 copies, some failing' {
        $run = Invoke-FreshPwsh -Script $Worker -ArgumentList '-ModulePath', $env:SPLICEMODULE_TEST_MODULE, '-Dir', $TestDrive -TimeoutSeconds 300
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $result = $run.Output | ConvertFrom-Json

        # The failures are the planned ones: refused capacity, missing path, self-copy,
        # directory onto a file and forced Reflink on a file system without reflinks.
        $result.Errors | Sort-Object | Should -Be @('CopyError=20', 'DirectoryOntoFile=20', 'MethodNotSupported=20', 'PathNotFound=20', 'PipeCapacityRefused=100')
        $result.Leftovers | Should -Be 0
        $result.NoGc | Should -BeTrue -Because "no finalizer may close a leaked handle before the count ($($result.Allocated) bytes allocated)"
        Compare-Object $result.Before $result.After | Should -BeNullOrEmpty
        $result.After.Count | Should -Be $result.Before.Count
    }
}
