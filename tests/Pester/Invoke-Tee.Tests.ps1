BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1')
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:FdBaseline = Get-WarmFdBaseline
    $script:Id = 'SpliceModule.Commands.InvokeTeeCommand'
}

Describe 'Invoke-Tee between kernel pipes' {
    BeforeEach {
        $source = New-KernelPipe
        $first = New-KernelPipe
        $second = New-KernelPipe
        $data = New-Payload 50000
        Write-VmSplice -Pipe $source -InputObject $data
    }
    AfterEach { $source, $first, $second | Close-SpliceDescriptor }

    It 'copies what the source holds into each destination and leaves the source full' {
        $results = Invoke-Tee -Source $source -Destination $first, $second
        $results.Count | Should -Be 2
        $results.Bytes | Should -Be @(50000, 50000)
        $results.Method | Should -Be @('Tee', 'Tee')
        $source.BytesAvailable | Should -Be 50000
        $expected = Get-BytesHash $data
        Get-BytesHash (Read-KernelPipe $first -AsByteStream -Raw) | Should -Be $expected
        Get-BytesHash (Read-KernelPipe $second -AsByteStream -Raw) | Should -Be $expected
        Get-BytesHash (Read-KernelPipe $source -AsByteStream -Raw) | Should -Be $expected
    }

    It 'copies only -Length bytes and takes the source from the pipeline' {
        ($source | Invoke-Tee -Destination $first -Length 1000).Bytes | Should -Be 1000
        Get-BytesHash (Read-KernelPipe $first -AsByteStream -Raw) | Should -Be (Get-BytesHash $data[0..999])
        $source.BytesAvailable | Should -Be 50000
    }

    It 'warns when a destination has room for less than -Length' {
        $small = New-KernelPipe -Capacity 4096
        try {
            $result = Invoke-Tee -Source $source -Destination $small -Length 50000 -WarningVariable warned -WarningAction SilentlyContinue
            $result.Bytes | Should -BeLessThan 50000
            $warned | Should -Not -BeNullOrEmpty
            $source.BytesAvailable | Should -Be 50000
        }
        finally { $small.Close() }
    }

    It 'refuses the same pipe on both sides (SamePipe) and still serves the others' {
        $results = Invoke-Tee -Source $source -Destination $source, $first -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -Be "SamePipe,$Id"
        $results.Bytes | Should -Be 50000
    }

    It 'refuses a closed destination (DescriptorClosed), pipes mixed with files and a source that is no descriptor (NotADescriptor)' {
        $first.Close()
        { Invoke-Tee -Source $source -Destination $first -ErrorAction Stop } | Should -Throw -ErrorId "DescriptorClosed,$Id"
        { Invoke-Tee -Source $source -Destination $second, (Join-Path $TestDrive 'mixed.bin') -ErrorAction Stop } | Should -Throw -ErrorId "NotADescriptor,$Id"
        { Invoke-Tee -Source 'not a pipe' -Destination (Join-Path $TestDrive 'x.bin') -ErrorAction Stop } | Should -Throw -ErrorId "NotADescriptor,$Id"
        Test-Path (Join-Path $TestDrive 'mixed.bin') | Should -BeFalse
    }

    It 'fans a pipe out to files until its writers are gone' {
        $source.WriteEnd.Close()
        $files = 1..2 | ForEach-Object { Join-Path $TestDrive "from-pipe$_.bin" }
        $items = Invoke-Tee -Source $source -Destination $files -PassThru -TimeoutSec 20
        $items.BytesCopied | Should -Be @(50000, 50000)
        foreach ($file in $files) { Get-BytesHash ([IO.File]::ReadAllBytes($file)) | Should -Be (Get-BytesHash $data) }
    }

    It 'waits on an empty source until -TimeoutSec (Timeout) and stops within a second of Ctrl+C' {
        $empty = New-KernelPipe
        try {
            { Invoke-Tee -Source $empty -Destination $first -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -ErrorId "Timeout,$Id"
            (Measure-Stop { param($from, $to) Invoke-Tee -Source $from -Destination $to } $empty, $first).TotalSeconds | Should -BeLessThan 1
        }
        finally { $empty.Close() }
    }
}

Describe 'Invoke-Tee -Path to several files' {
    BeforeEach {
        $sourcePath = Join-Path $TestDrive 'source.bin'
        [IO.File]::WriteAllBytes($sourcePath, (New-Payload 3MB))
        & chmod 640 $sourcePath
        $targets = 1..3 | ForEach-Object { Join-Path $TestDrive "copy$_.bin" }
    }
    AfterEach { Remove-Item (Join-Path $TestDrive 'copy*'), (Join-Path $TestDrive 'out') -Recurse -Force -ErrorAction SilentlyContinue }

    It 'writes identical copies with the source mode and reports them with -PassThru' {
        $items = Invoke-Tee -Path $sourcePath -Destination $targets -PassThru
        $items.Count | Should -Be 3
        $items[0] | Should -BeOfType [IO.FileInfo]
        $items.BytesCopied | Should -Be @(3MB, 3MB, 3MB)
        $items.CopyMethod | Should -Be @('Tee', 'Tee', 'Tee')
        $expected = (Get-FileHash $sourcePath).Hash
        foreach ($target in $targets) {
            (Get-FileHash $target).Hash | Should -Be $expected
            (& stat -c %a $target) | Should -Be '640'
        }
        $items.UnixMode | Should -Be @('-rw-r-----', '-rw-r-----', '-rw-r-----')
        $items.User | Should -Be @($targets | ForEach-Object { (Get-Item -LiteralPath $_).User })
    }

    It 'resolves relative destinations and puts the file into an existing directory under its own name' {
        New-Item -ItemType Directory (Join-Path $TestDrive 'out') | Out-Null
        Push-Location $TestDrive
        try { Invoke-Tee 'source.bin' 'copy-rel.bin', 'out' }
        finally { Pop-Location }
        (Get-FileHash (Join-Path $TestDrive 'copy-rel.bin')).Hash | Should -Be (Get-FileHash $sourcePath).Hash
        (Get-FileHash (Join-Path $TestDrive 'out/source.bin')).Hash | Should -Be (Get-FileHash $sourcePath).Hash
    }

    It 'copies only -Length bytes' {
        Invoke-Tee -LiteralPath $sourcePath -Destination $targets[0] -Length 1000
        (Get-Item $targets[0]).Length | Should -Be 1000
    }

    It 'reads a FIFO once and fans it out to four files' {
        $fifo = New-Fifo (Join-Path $TestDrive 'feed.fifo')
        $peer = Start-Peer { param($fifo, $path) [IO.File]::WriteAllBytes($fifo, [IO.File]::ReadAllBytes($path)) } $fifo, $sourcePath
        $four = 1..4 | ForEach-Object { Join-Path $TestDrive "copy-fifo$_.bin" }
        Invoke-Tee -LiteralPath $fifo -Destination $four -TimeoutSec 20
        Wait-Peer $peer
        foreach ($target in $four) { (Get-FileHash $target).Hash | Should -Be (Get-FileHash $sourcePath).Hash }
    }

    It 'fans a FIFO out to a disk file and a tmpfs file (written in slices and whole) alike' -Skip:(-not (Test-Path /dev/shm)) {
        $fifo = New-Fifo (Join-Path $TestDrive 'feed-mixed.fifo')
        $onTmpfs = Join-Path /dev/shm "splice-tee-$PID-$([guid]::NewGuid().ToString('n')).bin"
        try {
            $peer = Start-Peer { param($fifo, $path) [IO.File]::WriteAllBytes($fifo, [IO.File]::ReadAllBytes($path)) } $fifo, $sourcePath
            $items = Invoke-Tee -LiteralPath $fifo -Destination $targets[0], $onTmpfs -TimeoutSec 20 -PassThru
            Wait-Peer $peer
            $items.BytesCopied | Should -Be @(3MB, 3MB)
            (Get-FileHash $targets[0]).Hash | Should -Be (Get-FileHash $sourcePath).Hash
            (Get-FileHash $onTmpfs).Hash | Should -Be (Get-FileHash $sourcePath).Hash
        }
        finally { Remove-Item $onTmpfs -ErrorAction SilentlyContinue }
    }

    It 'waits for a FIFO writer that comes late and pauses, and copies every piece of odd size' {
        # The FIFO is opened before its writer (an empty FIFO without writers must not read as the
        # end), and the writer pauses between pieces so that rounds find the FIFO empty mid-stream.
        $fifo = New-Fifo (Join-Path $TestDrive 'slow.fifo')
        $payload = New-Payload (128KB * 3 + 4099) 7
        $peer = Start-Peer {
            param($fifo, [byte[]] $payload)
            Start-Sleep -Milliseconds 400
            $stream = [IO.File]::OpenWrite($fifo)
            try {
                for ($at = 0; $at -lt $payload.Length; $at += 50001) {
                    $stream.Write($payload, $at, [math]::Min(50001, $payload.Length - $at)); $stream.Flush()
                    Start-Sleep -Milliseconds 30
                }
            }
            finally { $stream.Dispose() }
        } $fifo, $payload
        $two = 1..2 | ForEach-Object { Join-Path $TestDrive "copy-slow$_.bin" }
        Invoke-Tee -LiteralPath $fifo -Destination $two -TimeoutSec 20
        Wait-Peer $peer
        foreach ($target in $two) { Get-BytesHash ([IO.File]::ReadAllBytes($target)) | Should -Be (Get-BytesHash $payload) }
    }

    It 'takes only -Length bytes from a FIFO and leaves the rest to its next reader' {
        # The FIFO's bytes are read in place by tee(2): exactly -Length of them may be consumed.
        $fifo = New-Fifo (Join-Path $TestDrive 'shared.fifo')
        $payload = New-Payload 300000 11
        $other = Open-SpliceDescriptor -LiteralPath $fifo -Access Read -NonBlocking
        try {
            $peer = Start-Peer { param($fifo, [byte[]] $payload) [IO.File]::WriteAllBytes($fifo, $payload) } $fifo, $payload
            $two = 1..2 | ForEach-Object { Join-Path $TestDrive "head$_.bin" }
            Invoke-Tee -LiteralPath $fifo -Destination $two -Length 100000 -TimeoutSec 20
            $rest = Join-Path $TestDrive 'rest.bin'
            $file = Open-SpliceDescriptor -LiteralPath $rest -Access Write -Create
            try { $null = Invoke-Splice -Source $other -Destination $file -TimeoutSec 20 } finally { $file | Close-SpliceDescriptor }
            Wait-Peer $peer
        }
        finally { $other | Close-SpliceDescriptor }
        foreach ($target in $two) { Get-BytesHash ([IO.File]::ReadAllBytes($target)) | Should -Be (Get-BytesHash $payload[0..99999]) }
        Get-BytesHash ([IO.File]::ReadAllBytes($rest)) | Should -Be (Get-BytesHash $payload[100000..299999])
    }

    It 'fans out a FIFO filled with many small spliced pieces' {
        # Spliced pieces are never merged: each keeps a page buffer of its own in the FIFO.
        $fifo = New-Fifo (Join-Path $TestDrive 'pieces.fifo')
        $pieces = 1..3000 | ForEach-Object { , (New-Payload (($_ % 97) + 1) $_) }
        $peer = Start-Peer { param($fifo, $pieces) $pieces | Write-VmSplice -Destination $fifo -TimeoutSec 20 } $fifo, $pieces
        $three = 1..3 | ForEach-Object { Join-Path $TestDrive "piece$_.bin" }
        Invoke-Tee -LiteralPath $fifo -Destination $three -TimeoutSec 20
        Wait-Peer $peer
        $expected = Get-BytesHash ([byte[]]($pieces | ForEach-Object { $_ }))
        foreach ($target in $three) { Get-BytesHash ([IO.File]::ReadAllBytes($target)) | Should -Be $expected }
    }

    It 'shows progress with bytes, rate and percent during a long fan-out, and completes it' {
        $fifo = New-Fifo (Join-Path $TestDrive 'progress.fifo')
        $writer = Start-SlowFifoWriter $fifo
        $tee = Start-Peer { param($fifo, $a, $b) $ProgressPreference = 'Continue'; Invoke-Tee -LiteralPath $fifo -Destination $a, $b -Length (30 * 65536) -TimeoutSec 20 } $fifo, $targets[0], $targets[1]
        $records = Wait-Peer $tee -Progress
        Wait-Peer $writer
        Assert-TransferProgress $records -WithPercent
        $records[0].Activity | Should -Be 'Invoke-Tee'
        (Get-Item $targets[1]).Length | Should -Be (30 * 65536)
    }

    It 'fans a file out to a FIFO whose reader lags behind, and that reader still gets the file' {
        # The FIFO passes the pages of a round on to its reader, who takes them after later rounds
        # were read: the memory a file is read into must not be used again while the FIFO holds it.
        $fifo = New-Fifo (Join-Path $TestDrive 'copy-lagging.fifo')
        $peer = Start-Peer {
            param($fifo, $into)
            $in = [IO.File]::OpenRead($fifo)
            $out = [IO.File]::Create($into)
            try {
                $buffer = [byte[]]::new(16KB)
                while (($count = $in.Read($buffer, 0, $buffer.Length)) -gt 0) { $out.Write($buffer, 0, $count); Start-Sleep -Milliseconds 1 }
            }
            finally { $in.Dispose(); $out.Dispose() }
        } $fifo, $targets[1]
        Invoke-Tee -Path $sourcePath -Destination $targets[0], $fifo -TimeoutSec 20
        Wait-Peer $peer
        (Get-FileHash $targets[0]).Hash | Should -Be (Get-FileHash $sourcePath).Hash
        (Get-FileHash $targets[1]).Hash | Should -Be (Get-FileHash $sourcePath).Hash
    }

    It 'reads /dev/stdin of a pwsh fed by a shell pipeline into two files' {
        # bash runs: cat SOURCE | pwsh ...
        $feed = 'bash', '-c', 'cat -- "$0" | "$@"', $sourcePath
        $run = Invoke-FreshPwsh -Wrapper $feed -TimeoutSeconds 60 -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Invoke-Tee -LiteralPath /dev/stdin -Destination '$($targets[0])', '$($targets[1])' -TimeoutSec 20"
        $run.ExitCode | Should -Be 0 -Because $run.Error
        (Get-FileHash $targets[0]).Hash | Should -Be (Get-FileHash $sourcePath).Hash
        (Get-FileHash $targets[1]).Hash | Should -Be (Get-FileHash $sourcePath).Hash
    }

    It 'completes the other destinations when one fails, with a non-terminating error' {
        $bad = Join-Path $TestDrive 'no-such-dir/copy.bin'
        Invoke-Tee -Path $sourcePath -Destination $targets[0], $bad, $targets[1] -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be "PathNotFound,$Id"
        $failed[0].TargetObject | Should -Be $bad
        (Get-FileHash $targets[0]).Hash | Should -Be (Get-FileHash $sourcePath).Hash
        (Get-FileHash $targets[1]).Hash | Should -Be (Get-FileHash $sourcePath).Hash
    }

    It 'completes the others when a FIFO destination loses its reader part-way' {
        $fifo = New-Fifo (Join-Path $TestDrive 'copy-quitter.fifo')
        $peer = Start-Peer { param($fifo) $stream = [IO.File]::OpenRead($fifo); $null = $stream.Read([byte[]]::new(1000), 0, 1000); $stream.Dispose() } $fifo
        Invoke-Tee -Path $sourcePath -Destination $targets[0], $fifo -TimeoutSec 20 -ErrorVariable failed -ErrorAction SilentlyContinue
        Wait-Peer $peer
        $failed[0].FullyQualifiedErrorId | Should -Be "BrokenPipe,$Id"
        (Get-FileHash $targets[0]).Hash | Should -Be (Get-FileHash $sourcePath).Hash
    }

    It 'reads a socket descriptor once into several files, with the default file mode' {
        $uri = "unix://$TestDrive/tee.sock"
        $peer = Start-Peer { param($uri, $path) $server = Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 20; $file = Open-SpliceDescriptor -LiteralPath $path; try { $null = Invoke-Splice $file $server -TimeoutSec 20 } finally { $server, $file | Close-SpliceDescriptor } } $uri, $sourcePath
        $socket = Connect-Peer $uri
        try { $socket | Invoke-Tee -Destination $targets -TimeoutSec 20 }
        finally { $socket.Close() }
        Wait-Peer $peer
        foreach ($target in $targets) {
            (Get-FileHash $target).Hash | Should -Be (Get-FileHash $sourcePath).Hash
            (& stat -c %a $target) | Should -Be '644'
        }
    }

    It 'refuses the source as its own destination (SameFile) and leaves it untouched' {
        $before = (Get-FileHash $sourcePath).Hash
        Invoke-Tee -Path $sourcePath -Destination $sourcePath, $targets[0] -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -Be "SameFile,$Id"
        (Get-FileHash $sourcePath).Hash | Should -Be $before
        (Get-FileHash $targets[0]).Hash | Should -Be $before
    }

    It 'keeps an existing destination and leaves no temporary file when stopped with Ctrl+C' {
        Set-Content -Path $targets[0] -Value 'old content'
        $fifo = New-Fifo (Join-Path $TestDrive 'silent.fifo')
        $elapsed = Measure-Stop { param($fifo, $target) Invoke-Tee -LiteralPath $fifo -Destination $target } $fifo, $targets[0]
        $elapsed.TotalSeconds | Should -BeLessThan 1
        Get-Content $targets[0] | Should -Be 'old content'
        Get-ChildItem -Force $TestDrive -Filter '*.splicetmp' | Should -BeNullOrEmpty
    }

    It 'reports a missing source as PathNotFound and a directory source as SourceIsDirectory' {
        { Invoke-Tee -LiteralPath (Join-Path $TestDrive 'missing') -Destination $targets[0] -ErrorAction Stop } | Should -Throw -ErrorId "PathNotFound,$Id"
        { Invoke-Tee -LiteralPath $TestDrive -Destination $targets[0] -ErrorAction Stop } | Should -Throw -ErrorId "SourceIsDirectory,$Id"
    }

    It 'creates nothing with -WhatIf' {
        Invoke-WhatIf { param($s, $t) Invoke-Tee -Path $s -Destination $t -WhatIf } $sourcePath, $targets | Out-Null
        $targets | ForEach-Object { Test-Path $_ | Should -BeFalse }
    }
}

Describe 'Invoke-Tee with devices that refuse splice' {
    # /dev/full and /dev/kmsg have no splice_write, /dev/vcs no splice_read: splice(2) to or from
    # them fails with EINVAL, where read(2) and write(2) work (or, for /dev/full, give ENOSPC).
    It 'reports /dev/full as full (ENOSPC) and completes the other destination' {
        $sourcePath = Join-Path $TestDrive 'to-full.bin'
        [IO.File]::WriteAllBytes($sourcePath, (New-Payload 300000))
        $copy = Join-Path $TestDrive 'beside-full.bin'
        $items = Invoke-Tee -Path $sourcePath -Destination '/dev/full', $copy -PassThru -TimeoutSec 5 -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be "SystemCallFailed,$Id"
        $failed[0].Exception.ErrnoName | Should -Be 'ENOSPC'
        $failed[0].TargetObject | Should -Be '/dev/full'
        @($items).FullName | Should -Be @($copy)
        (Get-FileHash $copy).Hash | Should -Be (Get-FileHash $sourcePath).Hash
    }

    It 'writes into /dev/kmsg by read/write and says ReadWrite in CopyMethod' {
        $line = New-KernelLogLine 'Invoke-Tee'
        if (-not $line) { Set-ItResult -Skipped -Because '/dev/kmsg cannot be written and read here'; return }
        $sourcePath = Join-Path $TestDrive 'kmsg-line.txt'
        [IO.File]::WriteAllText($sourcePath, $line)
        $copy = Join-Path $TestDrive 'beside-kmsg.txt'
        $items = Invoke-Tee -Path $sourcePath -Destination '/dev/kmsg', $copy -PassThru -TimeoutSec 5 -ErrorAction Stop
        $items.CopyMethod | Should -Be @('ReadWrite', 'Tee')
        $items.BytesCopied | Should -Be @($line.Length, $line.Length)
        Test-KernelLogLine $line | Should -BeTrue
        [IO.File]::ReadAllText($copy) | Should -BeExactly $line
    }

    It 'reads a device that refuses splice out (/dev/vcs) as cat does' {
        try { $screen = [IO.File]::ReadAllBytes('/dev/vcs') } catch { $screen = $null }
        if ($null -eq $screen) { Set-ItResult -Skipped -Because '/dev/vcs cannot be read here'; return }
        $copy = Join-Path $TestDrive 'screen.bin'
        Invoke-Tee -Path /dev/vcs -Destination $copy -TimeoutSec 5 -ErrorAction Stop
        (Get-Item $copy).Length | Should -Be $screen.Length
    }
}

Describe 'Invoke-Tee from a file that another process rewrites meanwhile' {
    # Pages spliced from a file are references to its page cache: a destination that drained its
    # pipe after the writer changed those pages would get other bytes than the rest. Whatever the
    # source holds from moment to moment, the copies must agree with each other (as with coreutils
    # tee, which reads each block once); they need not equal any one version of the source.
    BeforeAll {
        $script:LoopSkipReason = if ((id -u) -ne '0') { 'loop devices need root' }
        elseif (-not (Test-Path /dev/loop-control)) { 'this system has no loop devices (/dev/loop-control)' }
        elseif (-not (Get-Command losetup -ErrorAction SilentlyContinue)) { 'losetup is not installed' }

        # A python3 process that rewrites $Path in place for at most 120 s; returns once it is writing.
        function Start-Racer([string] $Path) {
            $ready = Join-Path $TestDrive 'racer.ready'
            Remove-Item $ready -ErrorAction SilentlyContinue
            $start = [Diagnostics.ProcessStartInfo]::new('python3')
            foreach ($argument in (Join-Path $PSScriptRoot 'Support/rewrite-in-place.py'), $Path, $ready, '120', '50000000') { $start.ArgumentList.Add($argument) }
            $process = [Diagnostics.Process]::Start($start)
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not (Test-Path $ready)) {
                if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "The racer did not start rewriting '$Path'." }
                Start-Sleep -Milliseconds 20
            }
            $process
        }

        # Runs $Tee (a fan-out of the racing source to $Into) several times and checks each time that
        # the copies are whole and identical and that the racer was writing all along.
        function Assert-IdenticalCopies([scriptblock] $Tee, [string[]] $Into, [Diagnostics.Process] $Racer, [int] $Runs = 5) {
            foreach ($run in 1..$Runs) {
                & $Tee
                $Racer.HasExited | Should -BeFalse -Because 'the source must be rewritten during the whole fan-out'
                foreach ($target in $Into) { (Get-Item $target).Length | Should -Be 64MB }
                $hashes = @($Into | ForEach-Object { (Get-FileHash $_).Hash })
                @($hashes | Select-Object -Unique).Count | Should -Be 1 -Because "run $run of $Runs gave the copies $($hashes | ForEach-Object { $_.Substring(0, 8) })"
            }
        }
    }
    BeforeEach {
        $sourcePath = Join-Path $TestDrive 'racing.bin'
        [IO.File]::WriteAllBytes($sourcePath, (New-Payload 64MB 5))
        $four = 1..4 | ForEach-Object { Join-Path $TestDrive "racing-copy$_.bin" }
        $race = @{}
    }
    AfterEach {
        if ($race.Racer) {
            if (-not $race.Racer.HasExited) { $race.Racer.Kill() }
            $null = $race.Racer.WaitForExit(10000)
            $race.Racer.Dispose()
        }
        if ($race.Device) { & losetup -d $race.Device }
        Remove-Item (Join-Path $TestDrive 'racing*'), (Join-Path $TestDrive 'racer.ready') -Force -ErrorAction SilentlyContinue
    }

    It 'writes four identical copies every time from -LiteralPath' {
        $race.Racer = Start-Racer $sourcePath
        Assert-IdenticalCopies { Invoke-Tee -LiteralPath $sourcePath -Destination $four } $four $race.Racer
    }

    It 'writes four identical copies every time from a file descriptor' {
        $race.Racer = Start-Racer $sourcePath
        Assert-IdenticalCopies {
            $file = Open-SpliceDescriptor -LiteralPath $sourcePath
            try { $file | Invoke-Tee -Destination $four } finally { $file | Close-SpliceDescriptor }
        } $four $race.Racer
    }

    It 'writes four identical copies every time from a block device' {
        # A block device's page cache is as shared as a file's (the writer here writes the device).
        if ($LoopSkipReason) { Set-ItResult -Skipped -Because $LoopSkipReason; return }
        $race.Device = (& losetup --find --show $sourcePath)
        $LASTEXITCODE | Should -Be 0
        $race.Racer = Start-Racer $race.Device
        Assert-IdenticalCopies { Invoke-Tee -LiteralPath $race.Device -Destination $four } $four $race.Racer -Runs 3
    }
}

Describe 'Invoke-Tee with file items from the pipeline' {
    BeforeAll {
        $script:items = Join-Path $TestDrive 'items'
        New-Item -ItemType Directory -Path "$items/in", "$items/one", "$items/two" | Out-Null
        Set-Content -LiteralPath "$items/in/a[1].log" -Value 'first'
        Set-Content -LiteralPath "$items/in/b.log" -Value 'second'
    }

    It 'reads a Get-Item item as its file, literally, as Copy-Item does' {
        Get-Item -LiteralPath "$items/in/a[1].log" | Invoke-Tee -Destination "$items/one/x.log", "$items/two/x.log"
        Get-Content -LiteralPath "$items/one/x.log" | Should -Be 'first'
        Get-Content -LiteralPath "$items/two/x.log" | Should -Be 'first'
    }

    It 'fans each file from Get-ChildItem out to every destination directory' {
        $copies = Get-ChildItem -LiteralPath "$items/in" -Filter *.log | Invoke-Tee -Destination "$items/one", "$items/two" -PassThru
        $copies.Count | Should -Be 4
        foreach ($dir in 'one', 'two') {
            Get-Content -LiteralPath "$items/$dir/a[1].log" | Should -Be 'first'
            Get-Content -LiteralPath "$items/$dir/b.log" | Should -Be 'second'
        }
    }

    It 'keeps a piped string a -Source, even one that carries a PSPath (Get-Content lines)' {
        Get-Content -LiteralPath "$items/in/b.log" | Invoke-Tee -Destination "$items/one/lines.log" -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -Be "NotADescriptor,$Id"
        Test-Path -LiteralPath "$items/one/lines.log" | Should -BeFalse
    }

    It 'writes -PassThru items on the drive Copy-Item -PassThru puts them on (/, not Temp)' {
        $tee = Invoke-Tee -LiteralPath "$items/in/b.log" -Destination "$items/one/drive.log" -PassThru
        $copy = Copy-Item -LiteralPath "$items/in/b.log" -Destination "$items/two/drive.log" -PassThru
        $tee.PSDrive.Name | Should -Be $copy.PSDrive.Name
        $tee.PSDrive.Name | Should -Be '/'
    }
}

Describe 'Invoke-Tee descriptors' {
    It 'leaves the count in /proc/self/fd unchanged' {
        Get-OpenFdCount | Should -Be $FdBaseline
    }
}
