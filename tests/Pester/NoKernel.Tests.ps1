# The path Windows and macOS take, forced here with SPLICEMODULE_DISABLE_KERNEL=1 in a fresh
# pwsh: the module imports without a single P/Invoke, Copy-SpliceItem copies with the
# platform's own copy and says so, Linux methods are refused, Linux-only cmdlets fail with
# PlatformNotSupported. A DllImport resolver set on the module's assembly before the import
# records every native library the module asks for, so "no P/Invoke" is observed, not assumed.

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force

    # Loads the module's assembly, records each native library resolution it makes, then
    # imports the module from that same assembly.
    $script:Prologue = @'
Add-Type -TypeDefinition @"
using System;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
public static class PInvokeRecorder
{
    public static readonly ConcurrentQueue<string> Libraries = new ConcurrentQueue<string>();
    public static void Watch(Assembly assembly) =>
        NativeLibrary.SetDllImportResolver(assembly, (name, _, _) => { Libraries.Enqueue(name); return IntPtr.Zero; });
}
"@
$assembly = [Reflection.Assembly]::LoadFrom((Join-Path $env:SPLICEMODULE_TEST_MODULE 'SpliceModule.dll'))
[PInvokeRecorder]::Watch($assembly)
Import-Module $env:SPLICEMODULE_TEST_MODULE
if ((Get-Command Copy-SpliceItem).ImplementingType.Assembly -ne $assembly) { throw 'The module did not load the watched assembly.' }
'@
}

Describe 'Importing the module' {
    It 'makes no P/Invoke call on import, help or listing, <Case>' -ForEach @(
        @{ Case = 'with the Linux calls available'; Disable = $null }
        @{ Case = 'with the Linux calls switched off'; Disable = '1' }
    ) {
        $result = Invoke-FreshPwsh -Json -Environment @{ SPLICEMODULE_DISABLE_KERNEL = $Disable } -Script ($script:Prologue + @'
$null = Get-Command -Module SpliceModule
$null = Get-Help Copy-SpliceItem -Full | Out-String
$null = Get-Help about_SpliceModule | Out-String
@{ Libraries = @([PInvokeRecorder]::Libraries.ToArray()); Cmdlets = @((Get-Module SpliceModule).ExportedCmdlets.Keys) }
'@)
        @($result.Libraries) | Should -BeNullOrEmpty
        $result.Cmdlets | Should -Contain 'Copy-SpliceItem'
    }

    It 'records P/Invoke calls when they happen (the recorder works)' {
        $result = Invoke-FreshPwsh -Json -Environment @{ SPLICEMODULE_DISABLE_KERNEL = $null } -Script ($script:Prologue + @'
$pipe = New-KernelPipe
$pipe | Close-SpliceDescriptor
@{ Libraries = @([PInvokeRecorder]::Libraries.ToArray()) }
'@)
        @($result.Libraries).Count | Should -BeGreaterThan 0
    }
}

Describe 'With SPLICEMODULE_DISABLE_KERNEL=1' {
    BeforeAll {
        $script:Work = Join-Path $TestDrive 'nokernel'
        New-Item -ItemType Directory -Path $script:Work | Out-Null
        $bytes = [byte[]]::new(300KB + 7)
        [Random]::new(42).NextBytes($bytes)
        [IO.File]::WriteAllBytes((Join-Path $script:Work 'source.bin'), $bytes)
        $source = Get-Item (Join-Path $script:Work 'source.bin')
        $source.UnixFileMode = [IO.UnixFileMode]'UserRead, UserWrite, GroupRead'
        $source.LastWriteTimeUtc = [datetime]::new(2021, 3, 4, 5, 6, 7, [DateTimeKind]::Utc)
        New-Item -ItemType SymbolicLink -Path (Join-Path $script:Work 'link.bin') -Target $source.FullName | Out-Null
        Set-Content -LiteralPath (Join-Path $script:Work 'readonly.bin') -Value 'old'
        (Get-Item (Join-Path $script:Work 'readonly.bin')).UnixFileMode = [IO.UnixFileMode]'UserRead'
        New-Item -ItemType Directory -Path (Join-Path $script:Work 'folder') | Out-Null
        $script:SourceHash = (Get-FileHash $source.FullName).Hash
        $tree = Join-Path $script:Work 'tree'
        New-Item -ItemType Directory -Path "$tree/sub/deeper" -Force | Out-Null
        Set-Content -LiteralPath "$tree/a.txt" -Value 'a'
        Set-Content -LiteralPath "$tree/sub/b.txt" -Value 'b'
        Set-Content -LiteralPath "$tree/sub/deeper/c.log" -Value 'c'
        New-Item -ItemType SymbolicLink -Path "$tree/sub/link" -Target 'b.txt' | Out-Null
        (Get-Item "$tree/sub").UnixFileMode = [IO.UnixFileMode]'UserRead, UserWrite, UserExecute, GroupRead, GroupExecute'

        $script:Result = Invoke-FreshPwsh -Json -Environment @{ SPLICEMODULE_DISABLE_KERNEL = '1'; SPLICE_TEST_DIR = $script:Work } -Script ($script:Prologue + @'
Set-Location $env:SPLICE_TEST_DIR
function Get-ErrorId([scriptblock] $Action) {
    $ErrorActionPreference = 'Continue'
    $Error.Clear()
    & $Action 2>$null | Out-Null
    @($Error | ForEach-Object FullyQualifiedErrorId)
}
function Get-TerminatingErrorId([scriptblock] $Action) {
    try { & $Action | Out-Null; $null } catch { $_.FullyQualifiedErrorId }
}

$copy = Copy-SpliceItem -Path source.bin -Destination copy.bin -PassThru
$intoFolder = Copy-SpliceItem -LiteralPath (Join-Path $env:SPLICE_TEST_DIR 'source.bin') -Destination folder -PassThru
$platform = Copy-SpliceItem -Path source.bin -Destination platform.bin -Method PlatformCopy -PassThru
$view = $copy | Out-String
$result = [ordered]@{
    CopyMethod        = [string]$copy.CopyMethod
    BytesCopied       = $copy.BytesCopied
    CopyHash          = (Get-FileHash copy.bin).Hash
    CopyMode          = [int](Get-Item copy.bin).UnixFileMode
    CopyTime          = (Get-Item copy.bin).LastWriteTimeUtc.ToString('o')
    IntoFolder        = $intoFolder.FullName
    IntoFolderMethod  = [string]$intoFolder.CopyMethod
    PlatformMethod    = [string]$platform.CopyMethod
    ViewShowsMethod   = $view -match 'PlatformCopy'
    SpliceRefused     = Get-ErrorId { Copy-SpliceItem -Path source.bin -Destination spliced.bin -Method Splice }
    SplicedExists     = Test-Path spliced.bin
    ReflinkRefused    = Get-ErrorId { Copy-SpliceItem -Path source.bin -Destination reflinked.bin -Method Reflink }
    MissingSource     = Get-ErrorId { Copy-SpliceItem -LiteralPath missing.bin -Destination x.bin }
    NoMatch           = Get-ErrorId { Copy-SpliceItem -Path 'nothing-*.bin' -Destination z.bin }
    OntoItself        = Get-ErrorId { Copy-SpliceItem -Path source.bin -Destination source.bin }
    OntoLink          = Get-ErrorId { Copy-SpliceItem -Path source.bin -Destination link.bin }
    ReadOnly          = Get-ErrorId { Copy-SpliceItem -Path source.bin -Destination readonly.bin }
    ReadOnlyKept      = (Get-Content readonly.bin)
    WhatIfCreated     = $(Copy-SpliceItem -Path source.bin -Destination whatif.bin -WhatIf; Test-Path whatif.bin)
    TreeMethods       = @(Copy-SpliceItem -Path tree -Destination tree-copy -Recurse -PassThru | Where-Object CopyMethod | ForEach-Object { [string]$_.CopyMethod } | Sort-Object -Unique)
    TreeNames         = @(Get-ChildItem tree-copy -Recurse -Force -Name | Sort-Object)
    TreeContent       = @('a.txt', 'sub/b.txt', 'sub/deeper/c.log' | ForEach-Object { Get-Content (Join-Path tree-copy $_) })
    TreeLink          = (Get-Item tree-copy/sub/link).LinkTarget
    TreeSubMode       = [int](Get-Item tree-copy/sub).UnixFileMode
    TreeFiltered      = $(Copy-SpliceItem -Path tree -Destination tree-txt -Recurse -Filter '*.txt'; @(Get-ChildItem tree-txt -Recurse -File -Name | Sort-Object))
    TreeIntoItself    = Get-ErrorId { Copy-SpliceItem -Path tree -Destination tree/sub/inner -Recurse }
    SyncRefused       = @(foreach ($switch in 'Update', 'Checksum', 'NoClobber', 'Mirror') { $on = @{ $switch = $true }; Get-TerminatingErrorId { Copy-SpliceItem -Path tree -Destination tree-sync -Recurse @on } })
    SyncCreated       = Test-Path tree-sync
    LibrariesBefore   = @([PInvokeRecorder]::Libraries.ToArray())
    NewKernelPipe     = Get-TerminatingErrorId { New-KernelPipe }
    NewKernelPipeText = $(try { New-KernelPipe } catch { $_.Exception.Message })
}
$forced = Copy-SpliceItem -Path source.bin -Destination readonly.bin -Force -PassThru
$result.ForcedHash = (Get-FileHash readonly.bin).Hash
$result.ForcedMethod = [string]$forced.CopyMethod
if (Get-Command Open-SpliceDescriptor -ErrorAction Ignore) {
    $result.OpenSpliceDescriptor = Get-TerminatingErrorId { Open-SpliceDescriptor -Path source.bin }
}
$capability = Get-SpliceCapability -Path .
$result.Capability = $capability | Select-Object Splice, Tee, VmSplice, CopyFileRange, SendFile, Reflink
$result.CapabilityView = $capability | Out-String
$result
'@)
    }

    It 'copies byte for byte with the platform copy and reports PlatformCopy' {
        $Result.CopyMethod | Should -Be 'PlatformCopy'
        $Result.BytesCopied | Should -Be (300KB + 7)
        $Result.CopyHash | Should -Be $script:SourceHash
        $Result.ViewShowsMethod | Should -BeTrue
        $Result.PlatformMethod | Should -Be 'PlatformCopy'
    }

    It 'keeps the mode bits and the modification time, as Copy-Item does' {
        $Result.CopyMode | Should -Be ([int][IO.UnixFileMode]'UserRead, UserWrite, GroupRead')
        [datetime]::Parse($Result.CopyTime).ToUniversalTime() | Should -Be ([datetime]::new(2021, 3, 4, 5, 6, 7, [DateTimeKind]::Utc))
    }

    It 'copies into an existing directory under the file''s own name' {
        $Result.IntoFolder | Should -Be (Join-Path $script:Work 'folder/source.bin')
        $Result.IntoFolderMethod | Should -Be 'PlatformCopy'
        (Get-FileHash (Join-Path $script:Work 'folder/source.bin')).Hash | Should -Be $script:SourceHash
    }

    It 'refuses -Update, -Checksum, -NoClobber and -Mirror (which need the Linux calls) before copying anything' {
        $Result.SyncRefused | Should -Be (@('SyncNotSupported,SpliceModule.Commands.CopySpliceItemCommand') * 4)
        $Result.SyncCreated | Should -BeFalse
    }

    It 'refuses the Linux methods with MethodNotSupported and writes nothing' {
        $Result.SpliceRefused | Should -Be @('MethodNotSupported,SpliceModule.Commands.CopySpliceItemCommand')
        $Result.ReflinkRefused | Should -Be @('MethodNotSupported,SpliceModule.Commands.CopySpliceItemCommand')
        $Result.SplicedExists | Should -BeFalse
    }

    It 'reports bad input with the same error ids as on Linux' {
        $Result.MissingSource | Should -Be @('PathNotFound,SpliceModule.Commands.CopySpliceItemCommand')
        @($Result.NoMatch) | Should -BeNullOrEmpty -Because 'a wildcard that matches nothing is silent'
        $Result.OntoItself | Should -Be @('CopyError,SpliceModule.Commands.CopySpliceItemCommand')
        $Result.OntoLink | Should -Be @('CopyError,SpliceModule.Commands.CopySpliceItemCommand')
        (Get-FileHash (Join-Path $script:Work 'source.bin')).Hash | Should -Be $script:SourceHash
    }

    It 'leaves a read-only destination alone without -Force (root replaces it) and replaces it with -Force' {
        if ((id -u) -eq '0') {
            @($Result.ReadOnly) | Should -BeNullOrEmpty -Because 'root may write it, and cp and Copy-Item replace it'
            $Result.ReadOnlyKept | Should -Not -Be 'old'
        }
        else {
            $Result.ReadOnly | Should -Be @('DestinationReadOnly,SpliceModule.Commands.CopySpliceItemCommand')
            $Result.ReadOnlyKept | Should -Be 'old'
        }
        $Result.ForcedMethod | Should -Be 'PlatformCopy'
        $Result.ForcedHash | Should -Be $script:SourceHash
    }

    It 'copies a tree with -Recurse through the platform''s file APIs: files, links, modes, filters' {
        $Result.TreeMethods | Should -Be @('PlatformCopy')
        $expected = @('a.txt', 'sub', 'sub/b.txt', 'sub/deeper', 'sub/deeper/c.log', 'sub/link') | Sort-Object
        $Result.TreeNames | Should -Be $expected
        $Result.TreeContent | Should -Be @('a', 'b', 'c')
        $Result.TreeLink | Should -Be 'b.txt'
        $Result.TreeSubMode | Should -Be ([int][IO.UnixFileMode]'UserRead, UserWrite, UserExecute, GroupRead, GroupExecute')
        $Result.TreeFiltered | Should -Be @('a.txt', 'sub/b.txt')
        $Result.TreeIntoItself | Should -Be @('CopyError,SpliceModule.Commands.CopySpliceItemCommand')
    }

    It 'creates nothing with -WhatIf' {
        $Result.WhatIfCreated | Should -BeFalse
    }

    It 'copies without a single P/Invoke of the module' {
        @($Result.LibrariesBefore) | Should -BeNullOrEmpty
    }

    It 'stops New-KernelPipe with PlatformNotSupported that says why' {
        $Result.NewKernelPipe | Should -Be 'PlatformNotSupported,SpliceModule.Commands.NewKernelPipeCommand'
        $Result.NewKernelPipeText | Should -Match 'SPLICEMODULE_DISABLE_KERNEL'
    }

    It 'stops Open-SpliceDescriptor with PlatformNotSupported, where the module has it' {
        if (-not $Result.PSObject.Properties['OpenSpliceDescriptor']) { Set-ItResult -Skipped -Because 'Open-SpliceDescriptor is not in this build'; return }
        $Result.OpenSpliceDescriptor | Should -Be 'PlatformNotSupported,SpliceModule.Commands.OpenSpliceDescriptorCommand'
    }

    It 'reports every Linux call as unavailable, and no reflink' {
        $Result.Capability.Splice | Should -BeFalse
        $Result.Capability.Tee | Should -BeFalse
        $Result.Capability.VmSplice | Should -BeFalse
        $Result.Capability.CopyFileRange | Should -BeFalse
        $Result.Capability.SendFile | Should -BeFalse
        $Result.Capability.Reflink | Should -BeNullOrEmpty
        $Result.CapabilityView | Should -Match 'Splice\s+: False'
    }
}
