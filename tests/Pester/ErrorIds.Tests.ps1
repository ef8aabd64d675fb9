# Error ids, checked mechanically against the code, the help and the tests: every id the C#
# sources can raise (the Refusal enum, SpliceCmdlet.ErrorIdFor, the ids the cmdlets name) is
# documented under "Error ids" in the NOTES of a page; each cmdlet documents the ids its own
# code names and every id a test sees it raise; every documented id is a real one and occurs in
# some test. The ids that no other test provokes are provoked here, PermissionDenied (EACCES)
# among them.

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:Root = Join-Path $PSScriptRoot '../..'
    $source = Join-Path $script:Root 'src/SpliceModule'

    # Ids no test can provoke on demand, each with the reason; a test that starts provoking one
    # makes 'is not listed here once a test provokes it' fail, so the list only shrinks.
    $script:NotProvoked = @{
        SourceChanged      = 'raised only when another process swaps a source between the walk and the copy'
        DestinationChanged = 'raised only when another process swaps a node the copy made while it runs'
        SpliceFailed       = 'an I/O error without errno, from the platform copy on Windows and macOS'
        RemoteNotLinux     = 'needs a session to a host that does not run Linux'
        RemoteModuleConflict = 'needs a session that already has another build of the module loaded'
        DirectConnectionUnavailable = 'needs a session that is not over SSH (WinRM)'
        DataConnectionRefused = 'needs a firewall between the hosts; the fault tests accept it among the DataConnection ids'
        DataConnectionTimeout = 'needs a firewall that drops packets; the fault tests accept it among the DataConnection ids'
        DataConnectionLost = 'the fault tests (link down, far pwsh killed) accept it among the DataConnection ids'
        RemoteScriptFailed = 'the fault tests accept it when the far pwsh is killed'
        RecordAuthenticationFailed = 'Copy-SpliceItem.Remote.Tests tampers a record against the real listener, below the cmdlet'
        SessionIsNotAvailable = 'needs a session that breaks between the check and the copy'
    }

    # The ids the code can raise.
    $refusal = Get-Content -Raw (Join-Path $source 'Model/SpliceRefusedException.cs')
    $enum = [regex]::Match($refusal, '(?s)public enum Refusal\s*\{(.*?)\}').Groups[1].Value -replace '(?m)//.*$' -replace '(?s)/\*.*?\*/'
    $fromEnum = @([regex]::Matches($enum, '\b([A-Z]\w+)\s*,') | ForEach-Object { $_.Groups[1].Value })
    # A refusal made only by SpliceRefusedException.SelfCopy reaches the user as Copy-Item's CopyError.
    $code = (Get-ChildItem $source -Recurse -Filter '*.cs' | ForEach-Object { Get-Content -Raw $_.FullName }) -join "`n" -replace '(?m)^\s*///.*$'
    $fromEnum = @($fromEnum | Where-Object {
        [regex]::Matches($code, "(?<!SelfCopy\()Refusal\.$_\b").Count -gt 0 -or [regex]::Matches($code, "SelfCopy\(Refusal\.$_\b").Count -eq 0
    })
    $cmdletBase = Get-Content -Raw (Join-Path $source 'Commands/SpliceCmdlet.cs')
    $errorIdFor = [regex]::Match($cmdletBase, '(?s)string ErrorIdFor\(.*?\};').Value
    $fromErrorIdFor = @([regex]::Matches($errorIdFor, '=> "(\w+)"') | ForEach-Object { $_.Groups[1].Value })
    # Ids a cmdlet names itself: WriteItemError(..., "Id", ErrorCategory.X) and new ErrorRecord(..., "Id", ...).
    function Get-NamedId([string] $Text) {
        @([regex]::Matches($Text, '"(\w+)",\s*ErrorCategory\.') | ForEach-Object { $_.Groups[1].Value })
    }
    $script:OwnIds = @{}
    foreach ($file in Get-ChildItem (Join-Path $source 'Commands') -Filter '*.cs') {
        $script:OwnIds[$file.BaseName] = Get-NamedId (Get-Content -Raw $file.FullName)
    }
    # Remote copies name their ids where they fail: new RemoteCopyException("Id", ...) and, where
    # the type is known, new("Id", $"...").
    $remote = (Get-ChildItem (Join-Path $source 'Remote'), (Join-Path $source 'Commands') -Filter '*.cs' | ForEach-Object { Get-Content -Raw $_.FullName }) -join "`n"
    $fromRemote = @([regex]::Matches($remote, 'RemoteCopyException\("(\w+)"|\bnew\("([A-Z]\w+)", \$"') | ForEach-Object { if ($_.Groups[1].Success) { $_.Groups[1].Value } else { $_.Groups[2].Value } })
    $script:SourceIds = @($fromRemote + $fromEnum + $fromErrorIdFor + ($script:OwnIds.Values | ForEach-Object { $_ }) | Sort-Object -Unique)

    # The ids each page documents: the list after the NOTES paragraph "Error ids ...".
    $modelPath = Join-Path $TestDrive 'help-model.json'
    & (Join-Path $script:Root 'tools/Build-Help.ps1') -DocsPath (Join-Path $script:Root 'docs') -ModelPath $modelPath
    $script:DocIds = @{}
    foreach ($page in (Get-Content -Raw $modelPath | ConvertFrom-Json).Commands) {
        $notes = @($page.Notes)
        $at = [array]::FindIndex([string[]]$notes, [Predicate[string]] { param($p) $p -like 'Error ids*' })
        $script:DocIds[$page.Name] = @(if ($at -ge 0) {
                $notes | Select-Object -Skip ($at + 1) | ForEach-Object { if ($_ -match '^- (\w+):') { $Matches[1] } }
            })
    }
    $script:Documented = @($script:DocIds.Values | ForEach-Object { $_ } | Sort-Object -Unique)

    # The ids the tests assert, and for which cmdlet: '<Id>,SpliceModule.Commands.<X>Command', and
    # in a file whose $script:Id names one cmdlet, "<Id>$Id", "<Id>,$Id" and (& $Id '<Id>').
    $script:Asserted = [Collections.Generic.List[object]]::new()
    foreach ($file in Get-ChildItem $PSScriptRoot -Filter '*.ps1' -Recurse) {
        $text = Get-Content -Raw $file.FullName
        foreach ($m in [regex]::Matches($text, '\b([A-Z][A-Za-z]+),SpliceModule\.Commands\.(\w+)Command')) {
            $script:Asserted.Add([pscustomobject]@{ Id = $m.Groups[1].Value; Command = $m.Groups[2].Value; File = $file.Name })
        }
        $own = [regex]::Match($text, '\$script:Id = [^\n]*?SpliceModule\.Commands\.(\w+)Command')
        if (-not $own.Success) { continue }
        foreach ($m in [regex]::Matches($text, '["'']([A-Z][A-Za-z]+),?\$(script:)?Id\b|& \$Id ["'']([A-Z][A-Za-z]+)["'']')) {
            $id = if ($m.Groups[1].Success) { $m.Groups[1].Value } else { $m.Groups[3].Value }
            $script:Asserted.Add([pscustomobject]@{ Id = $id; Command = $own.Groups[1].Value; File = $file.Name })
        }
    }

    function Get-ErrorId([scriptblock] $Action) {
        $ErrorActionPreference = 'Continue'
        @(& $Action 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object FullyQualifiedErrorId)
    }
}

Describe 'Error ids: code, help and tests agree' {
    It 'finds ids in the code, the help and the tests' {
        $script:SourceIds.Count | Should -BeGreaterThan 30
        $script:DocIds.Keys.Count | Should -Be @((Get-Module SpliceModule).ExportedCmdlets.Keys).Count
        $script:Asserted.Count | Should -BeGreaterThan 40
    }

    It 'documents every id the code can raise, on some page' {
        @($script:SourceIds | Where-Object { $_ -notin $script:Documented }) | Should -BeNullOrEmpty
    }

    It 'documents no id that the code does not have' {
        @($script:Documented | Where-Object { $_ -notin $script:SourceIds }) | Should -BeNullOrEmpty
    }

    It 'gives every cmdlet a list of its error ids' {
        foreach ($name in $script:DocIds.Keys) { $script:DocIds[$name].Count | Should -BeGreaterThan 0 -Because "$name's NOTES list its error ids" }
    }

    It 'documents, for each cmdlet, the ids its own code names' {
        foreach ($name in $script:DocIds.Keys) {
            $own = $script:OwnIds["$($name -replace '-')Command"]
            @($own | Where-Object { $_ -notin $script:DocIds[$name] }) | Should -BeNullOrEmpty -Because "$name raises them"
        }
    }

    It 'documents, for each cmdlet, every id of the module a test sees it raise' {
        $missing = @(foreach ($seen in $script:Asserted | Where-Object Id -In $script:SourceIds) {
                $name = $script:DocIds.Keys | Where-Object { ($_ -replace '-') -eq $seen.Command }
                if (-not $name -or $seen.Id -notin $script:DocIds[$name]) { "$($seen.Id) for $($seen.Command) ($($seen.File))" }
            }) | Sort-Object -Unique
        $missing | Should -BeNullOrEmpty
    }

    It 'sees tests assert only ids of the module or of PowerShell' {
        # PowerShell's own ids that tests assert for parameter binding.
        $powershell = 'ParameterArgumentValidationError', 'ParameterArgumentTransformationError', 'ParameterBindingFailed',
        'MissingMandatoryParameter', 'AmbiguousParameterSet', 'NamedParameterNotFound', 'CannotConvertArgumentNoMessage'
        @($script:Asserted | Where-Object { $_.Id -notin $script:SourceIds -and $_.Id -notin $powershell } |
                ForEach-Object { "$($_.Id) ($($_.File))" } | Sort-Object -Unique) | Should -BeNullOrEmpty
    }

    It 'has a test that raises every documented id' {
        $tested = @($script:Asserted.Id | Sort-Object -Unique)
        @($script:Documented | Where-Object { $_ -notin $tested -and -not $script:NotProvoked.ContainsKey($_) }) | Should -BeNullOrEmpty
    }

    It 'lists an id as not provoked only while no test provokes it' {
        $tested = @($script:Asserted.Id | Sort-Object -Unique)
        @($script:NotProvoked.Keys | Where-Object { $_ -in $tested }) | Should -BeNullOrEmpty
        @($script:NotProvoked.Keys | Where-Object { $_ -notin $script:Documented }) | Should -BeNullOrEmpty
    }

    It 'has no test yet that raises <_>' -ForEach @('SourceChanged', 'DestinationChanged', 'SpliceFailed') {
        Set-ItResult -Skipped -Because $script:NotProvoked[$_]
    }
}

Describe 'Error ids no other test provokes' {
    BeforeAll {
        $script:Dir = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'ids')).FullName
        Set-Content -LiteralPath (Join-Path $script:Dir 'a.bin') -Value 'a'
        Set-Content -LiteralPath (Join-Path $script:Dir 'b.bin') -Value 'b'
        $script:Socket = Join-Path $script:Dir 'sock'
        python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" $script:Socket
    }

    It 'AmbiguousPath: Invoke-Tee -Path matching two files' {
        New-Item -ItemType Directory -Path (Join-Path $script:Dir 'tee-out') | Out-Null
        Get-ErrorId { Invoke-Tee -Path (Join-Path $script:Dir '*.bin') -Destination (Join-Path $script:Dir 'tee-out') } |
            Should -Be 'AmbiguousPath,SpliceModule.Commands.InvokeTeeCommand'
    }

    It 'DestinationIsSymlink: a directory of the destination tree that is a symbolic link' {
        $tree = New-Item -ItemType Directory -Path (Join-Path $script:Dir 'tree/sub') -Force
        Set-Content -LiteralPath (Join-Path $tree 'f') -Value 'f'
        $elsewhere = New-Item -ItemType Directory -Path (Join-Path $script:Dir 'elsewhere')
        New-Item -ItemType Directory -Path (Join-Path $script:Dir 'backup/tree') -Force | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $script:Dir 'backup/tree/sub') -Target $elsewhere.FullName | Out-Null
        Get-ErrorId { Copy-SpliceItem -Path (Join-Path $script:Dir 'tree') -Destination (Join-Path $script:Dir 'backup') -Recurse } |
            Should -Be 'DestinationIsSymlink,SpliceModule.Commands.CopySpliceItemCommand'
        Get-ChildItem $elsewhere | Should -BeNullOrEmpty
    }

    It 'DestinationIsSocket: a socket where Copy-SpliceItem and Invoke-Tee would write' {
        Get-ErrorId { Copy-SpliceItem -LiteralPath (Join-Path $script:Dir 'a.bin') -Destination $script:Socket } |
            Should -Be 'DestinationIsSocket,SpliceModule.Commands.CopySpliceItemCommand'
        Get-ErrorId { Invoke-Tee -LiteralPath (Join-Path $script:Dir 'a.bin') -Destination $script:Socket } |
            Should -Be 'DestinationIsSocket,SpliceModule.Commands.InvokeTeeCommand'
    }

    It 'DestinationIsDirectory: Write-VmSplice -Destination naming a directory' {
        Get-ErrorId { 'x' | Write-VmSplice -Destination $script:Dir } |
            Should -Be 'DestinationIsDirectory,SpliceModule.Commands.WriteVmSpliceCommand'
    }

    It 'PathIsDirectory, ProviderNotFound and DriveNotFound: Open-SpliceDescriptor' {
        Get-ErrorId { Open-SpliceDescriptor -LiteralPath $script:Dir } | Should -Be 'PathIsDirectory,SpliceModule.Commands.OpenSpliceDescriptorCommand'
        Get-ErrorId { Open-SpliceDescriptor -Path 'nosuchprovider::x' } | Should -Be 'ProviderNotFound,SpliceModule.Commands.OpenSpliceDescriptorCommand'
        Get-ErrorId { Open-SpliceDescriptor -Path 'nosuchdrive:/x' } | Should -Be 'DriveNotFound,SpliceModule.Commands.OpenSpliceDescriptorCommand'
    }

    It 'DestinationNotWritable: a descriptor opened for reading as a destination' {
        $readOnly = Open-SpliceDescriptor -LiteralPath (Join-Path $script:Dir 'a.bin')
        $pipe = New-KernelPipe
        try {
            'x' | Write-VmSplice -Pipe $pipe
            $pipe.WriteEnd.Close()
            Get-ErrorId { Invoke-Splice -Source $pipe -Destination $readOnly } | Should -Be 'DestinationNotWritable,SpliceModule.Commands.InvokeSpliceCommand'
            Get-ErrorId { 'x' | Write-VmSplice -Destination $readOnly } | Should -Be 'DestinationNotWritable,SpliceModule.Commands.WriteVmSpliceCommand'
        }
        finally { $pipe, $readOnly | Close-SpliceDescriptor }
    }

    It 'LengthOutOfRange: an offset plus -Length beyond the largest file offset' {
        $from = Open-SpliceDescriptor -LiteralPath (Join-Path $script:Dir 'a.bin')
        $to = Open-SpliceDescriptor -LiteralPath (Join-Path $script:Dir 'range.bin') -Access Write -Create
        try {
            Get-ErrorId { Invoke-Splice -Source $from -Destination $to -SourceOffset ([long]::MaxValue - 10) -Length 100 } |
                Should -Be 'LengthOutOfRange,SpliceModule.Commands.InvokeSpliceCommand'
        }
        finally { $from, $to | Close-SpliceDescriptor }
    }

    It 'PermissionDenied: EACCES for a process without CAP_DAC_OVERRIDE, reading and writing another user''s files' -Skip:((id -u) -ne '0' -or -not (Get-Command setpriv -ErrorAction Ignore)) {
        # The pwsh that runs the tests lives under /root, which another user cannot enter: the
        # process stays root but loses what lets root ignore modes, as any other user is.
        $dir = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'denied')).FullName
        $secret = Join-Path $dir 'secret'
        Set-Content -LiteralPath $secret -Value 'secret'
        $locked = New-Item -ItemType Directory -Path (Join-Path $dir 'locked')
        chmod 600 $secret; chmod 755 $locked.FullName
        chown 65534:65534 $secret $locked.FullName
        $mine = Join-Path $dir 'mine'
        Set-Content -LiteralPath $mine -Value 'mine'
        $script = @"
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
function Get-Id([scriptblock] `$Action) { @(& `$Action 2>&1 | Where-Object { `$_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object FullyQualifiedErrorId) -join ';' }
Get-Id { Copy-SpliceItem -LiteralPath '$secret' -Destination '$dir/copy' }
Get-Id { Open-SpliceDescriptor -LiteralPath '$secret' }
Get-Id { Invoke-Tee -LiteralPath '$secret' -Destination '$dir/tee' }
Get-Id { Copy-SpliceItem -LiteralPath '$mine' -Destination '$($locked.FullName)/' }
Get-Id { 'x' | Write-VmSplice -Destination '$($locked.FullName)/w' }
"@
        $drop = '-dac_override,-dac_read_search,-fowner'
        $run = Invoke-FreshPwsh -Script $script -Wrapper setpriv, "--inh-caps=$drop", "--bounding-set=$drop", '--' -TimeoutSeconds 120
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $run.Lines | Should -Be @(
            'PermissionDenied,SpliceModule.Commands.CopySpliceItemCommand'
            'PermissionDenied,SpliceModule.Commands.OpenSpliceDescriptorCommand'
            'PermissionDenied,SpliceModule.Commands.InvokeTeeCommand'
            'PermissionDenied,SpliceModule.Commands.CopySpliceItemCommand'
            'PermissionDenied,SpliceModule.Commands.WriteVmSpliceCommand')
        Join-Path $dir 'copy' | Should -Not -Exist
        Join-Path $dir 'tee' | Should -Not -Exist
        Get-ChildItem $locked.FullName | Should -BeNullOrEmpty
    }
}
