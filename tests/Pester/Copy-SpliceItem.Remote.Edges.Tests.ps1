# Remote copies at the edges that a local copy already handles, each run in a fresh pwsh with a
# real PSSession to an OpenSSH host in a network namespace. The host's root is a directory of this
# machine too, so a test can look at both ends (and both ends can name one file).
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/StandingDestinations.ps1')
    $script:BothWays = Get-BothWaysCase
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestFiles.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    . (Join-Path $PSScriptRoot 'Support/StandingDestinations.ps1')
    $script:SkipReason = Get-RemoteHostSkipReason
    $script:Remote = $null
    if (-not $SkipReason) { $script:Remote = Start-RemoteHost -Label edge }

    # Runs $Body in a fresh pwsh with the built module and $session; returns the process's run
    # (ExitCode, Output, Lines). $Body sees $HostRoot, the host's own directory (here too).
    function Invoke-WithSession([string] $Body) {
        $run = New-RemoteSessionRun $Remote "`$HostRoot = '$($Remote.Root)'`n$Body"
        Invoke-FreshPwsh -TimeoutSeconds 120 @run
    }

    function Get-Value($Lines, [string] $Name) { @($Lines | Select-String "^$Name=(.*)$" | ForEach-Object { $_.Matches[0].Groups[1].Value })[0] }
}

AfterAll {
    Stop-RemoteHost $Remote
}

Describe 'A remote copy onto the file it reads' {
    BeforeEach { Reset-RemoteHost $Remote }

    It 'refuses it as a local copy does, by device and inode, and leaves the source whole (<Direction>, <Transport>)' -TestCases $BothWays {
        param($Direction, $Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $Remote.Root 'self.bin') (3MB + 5)
        $hash = Get-Sha $source.FullName
        $inode = stat -c '%i' -- $source.FullName
        $pathParameter = if ($Direction -eq 'FromSession') { 'Path' } else { 'LiteralPath' }
        $ran = Invoke-WithSession @"
foreach (`$destination in '$($source.FullName)', `$HostRoot) {
    `$error.Clear()
    Copy-SpliceItem -$pathParameter '$($source.FullName)' -Destination `$destination -$Direction `$session -Transport $Transport -ErrorAction SilentlyContinue
    "ID=`$(`$error[0].FullyQualifiedErrorId)"
    "CATEGORY=`$(`$error[0].CategoryInfo.Category)"
    "MESSAGE=`$(`$error[0].Exception.Message)"
}
"@
        $ran.ExitCode | Should -Be 0 -Because "$($ran.Output) $($ran.Error)"
        $ids = @($ran.Lines | Select-String '^ID=(.*)$' | ForEach-Object { $_.Matches[0].Groups[1].Value })
        $ids | Should -Be @('CopyError,SpliceModule.Commands.CopySpliceItemCommand', 'CopyError,SpliceModule.Commands.CopySpliceItemCommand') -Because "a self-copy is Copy-Item's CopyError, whichever end finds it: $($ran.Output)"
        @($ran.Lines | Select-String '^CATEGORY=WriteError$').Count | Should -Be 2
        @($ran.Lines | Select-String '^MESSAGE=.*onto itself').Count | Should -Be 2
        Get-Sha $source.FullName | Should -Be $hash -Because 'the source is never truncated or rewritten'
        stat -c '%i' -- $source.FullName | Should -Be $inode -Because 'the source is not replaced by a copy of itself either'
        @(Get-ChildItem -LiteralPath $Remote.Root -Force -Name) | Should -Be @('self.bin') -Because 'no temporary file is left'
        Get-RemoteHostListener $Remote | Should -BeNullOrEmpty
    }

    It 'still copies a file of the same name on the other host, which is another file (<Direction>)' -TestCases @(@{ Direction = 'ToSession' }, @{ Direction = 'FromSession' }) {
        param($Direction)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $far = New-TestFile (Join-Path $Remote.Root 'same-name.bin') 70000 -Seed 2
        $here = New-TestFile (Join-Path $TestDrive 'same-name.bin') 70000 -Seed 3
        $from, $into = if ($Direction -eq 'FromSession') { $far.FullName, $TestDrive } else { $here.FullName, $Remote.Root }
        $fromHash = Get-Sha $from
        $ran = Invoke-WithSession "Copy-SpliceItem -LiteralPath '$from' -Destination '$into' -$Direction `$session -ErrorAction Stop; 'COPIED=yes'"
        Get-Value $ran.Lines COPIED | Should -Be 'yes' -Because "$($ran.Output) $($ran.Error)"
        Get-Sha (Join-Path $into 'same-name.bin') | Should -Be $fromHash
    }
}

Describe 'Copy-SpliceItem -FromSession -Recurse -WhatIf' {
    BeforeEach { Reset-RemoteHost $Remote }

    It 'says "Copy Directory" for a far directory, as Copy-Item -WhatIf does, and "Copy File" for a far file' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        New-Item -ItemType Directory -Path "$($Remote.Root)/far/sub" | Out-Null
        Set-Content -LiteralPath "$($Remote.Root)/far/sub/f.txt" -Value 'x'
        Set-Content -LiteralPath "$($Remote.Root)/plain.txt" -Value 'y'
        $local = Join-Path $TestDrive 'whatif'
        New-Item -ItemType Directory -Path $local | Out-Null
        $ran = Invoke-WithSession @"
Copy-Item -Recurse -LiteralPath "`$HostRoot/far" -Destination '$local' -WhatIf
Copy-SpliceItem -Recurse -LiteralPath "`$HostRoot/far" -Destination '$local' -FromSession `$session -WhatIf
Copy-SpliceItem -Recurse -Path "`$HostRoot/f*" -Destination '$local' -FromSession `$session -WhatIf
Copy-SpliceItem -Recurse -LiteralPath "`$HostRoot/plain.txt" -Destination '$local' -FromSession `$session -WhatIf
"@
        $ran.ExitCode | Should -Be 0 -Because "$($ran.Output) $($ran.Error)"
        $said = @($ran.Lines | Where-Object { $_ -like 'What if:*' })
        $said.Count | Should -Be 4 -Because $ran.Output
        $said[0] | Should -BeLike 'What if: Performing the operation "Copy Directory" on target "Item: */far Destination: *"*'
        $said[1] | Should -BeLike 'What if: Performing the operation "Copy Directory" on target "Item: */far Destination: * ComputerName: *"*'
        $said[2] | Should -BeLike 'What if: Performing the operation "Copy Directory" on target "Item: */far Destination: * ComputerName: *"*' -Because 'a wildcard naming the directory says the same'
        $said[3] | Should -BeLike 'What if: Performing the operation "Copy File" on target "Item: */plain.txt Destination: * ComputerName: *"*'
        @(Get-ChildItem -LiteralPath $local -Force) | Should -BeNullOrEmpty
        Get-RemoteHostListener $Remote | Should -BeNullOrEmpty
    }
}

Describe 'A remote hard-link group whose first name lands on a FIFO' {
    BeforeEach { Reset-RemoteHost $Remote }

    It 'writes the FIFO in place and links the other names to one copy, as a local tree copy does (<Direction>, <Transport>)' -TestCases $BothWays {
        param($Direction, $Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $ends = Get-Ends $Direction "links-$Direction-$Transport" $TestDrive $Remote.Root
        New-Item -ItemType Directory -Path "$($ends.From)/t", "$($ends.Into)/t" | Out-Null
        $payload = New-TestFile "$($ends.From)/t/a" 100000
        ln -- $payload.FullName "$($ends.From)/t/b"
        ln -- $payload.FullName "$($ends.From)/t/c"

        # What the local tree copy makes of it, for the comparison.
        $localInto = Join-Path $TestDrive "local-$Direction-$Transport"
        New-Item -ItemType Directory -Path "$localInto/t" | Out-Null
        $localReader = Start-FifoReader "$localInto/t/a" (Join-Path $TestDrive "local-read-$Direction-$Transport")
        try {
            Import-Module $env:SPLICEMODULE_TEST_MODULE
            Copy-SpliceItem -Recurse -Preserve Links -LiteralPath "$($ends.From)/t" -Destination $localInto -ErrorAction Stop
        }
        finally { $null = Stop-FifoReader $localReader }
        stat -c '%F %h' -- "$localInto/t/a" "$localInto/t/b" "$localInto/t/c" | Should -Be @('fifo 1', 'regular file 2', 'regular file 2') -Because 'this is what the local copy does'

        $read = Join-Path $TestDrive "read-$Direction-$Transport"
        $reader = Start-FifoReader "$($ends.Into)/t/a" $read
        try {
            $ran = Invoke-WithSession @"
`$error.Clear()
Copy-SpliceItem -Recurse -Preserve Links -LiteralPath '$($ends.From)/t' -Destination '$($ends.Into)' -$Direction `$session -Transport $Transport -ErrorAction SilentlyContinue
"ERRORS=`$(@(`$error | ForEach-Object { "`$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" }) -join ' | ')"
"@
        }
        finally { $ended = Stop-FifoReader $reader }
        $ran.ExitCode | Should -Be 0 -Because "$($ran.Output) $($ran.Error)"
        Get-Value $ran.Lines ERRORS | Should -BeNullOrEmpty
        $ended | Should -BeTrue -Because 'the copy closes the FIFO once the file is through'
        Get-Sha $read | Should -Be (Get-Sha $payload.FullName) -Because 'the FIFO got the content in place'
        stat -c '%F %h' -- "$($ends.Into)/t/a" "$($ends.Into)/t/b" "$($ends.Into)/t/c" | Should -Be @('fifo 1', 'regular file 2', 'regular file 2') -Because 'the remote copy makes what the local copy makes'
        stat -c '%i' -- "$($ends.Into)/t/b" | Should -Be (stat -c '%i' -- "$($ends.Into)/t/c") -Because 'the other names are one file'
        Get-Sha "$($ends.Into)/t/b" | Should -Be (Get-Sha $payload.FullName)
        stat -c '%a %s' -- "$($ends.Into)/t/b" | Should -Be (stat -c '%a %s' -- "$localInto/t/b") -Because 'the copy has the mode and size the local copy gives it'
        @(Get-ChildItem -LiteralPath "$($ends.Into)/t" -Force -Name | Sort-Object) | Should -Be @('a', 'b', 'c') -Because 'no temporary file is left'
        Get-RemoteHostListener $Remote | Should -BeNullOrEmpty
    }
}

Describe 'Ctrl+C while the far host waits for a FIFO reader' {
    BeforeEach { Reset-RemoteHost $Remote }

    It 'ends the far wait with the stop, leaving nothing behind (<Kind>, <Transport>)' -TestCases @(
        @{ Kind = 'file'; Transport = 'Encrypted' }
        @{ Kind = 'file'; Transport = 'Session' }
        @{ Kind = 'tree'; Transport = 'Plain' }
        @{ Kind = 'tree'; Transport = 'Session' }
    ) {
        param($Kind, $Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        New-Item -ItemType Directory -Path (Join-Path $TestDrive "fifo-$Kind-$Transport/t") | Out-Null
        $source = New-TestFile (Join-Path $TestDrive "fifo-$Kind-$Transport/t/fifo") 70000
        if ($Kind -eq 'tree') {
            $from = Split-Path -Parent $source.FullName
            New-Item -ItemType Directory -Path "$($Remote.Root)/t" | Out-Null
            $fifo = "$($Remote.Root)/t/fifo"
        }
        else {
            $from = $source.FullName
            $fifo = "$($Remote.Root)/fifo"
        }
        mkfifo -- $fifo
        $ran = Invoke-WithSession @"
`$shell = [powershell]::Create()
`$null = `$shell.AddScript('Import-Module `$env:SPLICEMODULE_TEST_MODULE').Invoke()
`$shell.Commands.Clear()
`$parameters = @{ LiteralPath = '$from'; Destination = '$($Remote.Root)'; ToSession = `$session; Transport = '$Transport'; Recurse = `$$($Kind -eq 'tree') }
`$null = `$shell.AddCommand('Copy-SpliceItem').AddParameters(`$parameters)
`$running = `$shell.BeginInvoke()
# Long enough for the far host to be waiting for the FIFO's reader, far less than its 15 s.
Start-Sleep -Seconds 3
"STARTED=`$(-not `$running.IsCompleted)"
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$shell.Stop()
"STOPPEDMS=`$(`$watch.ElapsedMilliseconds)"
"STATE=`$(`$shell.InvocationStateInfo.State)"
# The far session runs one command at a time: it answers once the far half of the copy has ended.
"ANSWER=`$(Invoke-Command -Session `$session { 'answered' })"
"ANSWEREDMS=`$(`$watch.ElapsedMilliseconds)"
"LISTENING=`$(@(ss -Hltn | Where-Object { `$_ -match [regex]::Escape('$($Remote.LocalAddress):') }).Count)"
`$shell.Dispose()
"@
        $ran.ExitCode | Should -Be 0 -Because "$($ran.Output) $($ran.Error)"
        Get-Value $ran.Lines STARTED | Should -Be 'True' -Because 'the copy was still waiting for a reader when it was stopped'
        Get-Value $ran.Lines STATE | Should -Be 'Stopped'
        [int](Get-Value $ran.Lines STOPPEDMS) | Should -BeLessThan 3000
        Get-Value $ran.Lines ANSWER | Should -Be 'answered'
        [int](Get-Value $ran.Lines ANSWEREDMS) | Should -BeLessThan 3500 -Because 'the far host stops waiting for the reader with the local stop, not after its 15 s'
        Get-Value $ran.Lines LISTENING | Should -Be '0'
        Get-RemoteHostListener $Remote | Should -BeNullOrEmpty -Because 'no port is left listening on the far host'
        stat -c '%F' -- $fifo | Should -Be 'fifo'
        @(Get-ChildItem -LiteralPath $Remote.Root -Recurse -Force | Where-Object Name -NotIn 't', 'fifo') | Should -BeNullOrEmpty -Because 'nothing is left behind'
        # Nobody holds the FIFO open any more: a reader opening it now finds no writer.
        @(Get-ChildItem /proc/[0-9]*/fd -ErrorAction Ignore | Where-Object { $_.LinkTarget -eq $fifo }) | Should -BeNullOrEmpty
    }
}
