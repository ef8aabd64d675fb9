BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    $script:FdBaseline = Get-WarmFdBaseline
    $script:Id = 'SpliceModule.Commands.InvokeSpliceCommand'

    function New-SourceFile([string] $Name, [int] $Size) {
        $path = Join-Path $TestDrive $Name
        [IO.File]::WriteAllBytes($path, (New-Payload $Size))
        $path
    }
}

Describe 'Invoke-Splice between files' {
    BeforeEach {
        $sourcePath = New-SourceFile 'source.bin' 100000
        $source = Open-SpliceDescriptor -LiteralPath $sourcePath
        $destinationPath = Join-Path $TestDrive 'destination.bin'
        $destination = Open-SpliceDescriptor -LiteralPath $destinationPath -Access Write -Create
    }
    AfterEach { $source, $destination | Close-SpliceDescriptor }

    It 'copies to end of input through a pipe of its own and reports the transfer' {
        $result = Invoke-Splice -Source $source -Destination $destination
        $result | Should -BeOfType [SpliceModule.SpliceTransferResult]
        $result.Bytes | Should -Be 100000
        $result.Method | Should -Be 'Splice'
        $result.Source | Should -Be $sourcePath
        $result.Destination | Should -Be $destinationPath
        $result.BytesPerSecond | Should -BeGreaterThan 0
        (Get-FileHash $destinationPath).Hash | Should -Be (Get-FileHash $sourcePath).Hash
    }

    It 'moves -Length bytes at a time, continuing from the file position' {
        (Invoke-Splice $source $destination -Length 60000).Bytes | Should -Be 60000
        (Invoke-Splice $source $destination -Length 60000).Bytes | Should -Be 40000
        (Invoke-Splice $source $destination -Length 0).Bytes | Should -Be 0
        (Get-FileHash $destinationPath).Hash | Should -Be (Get-FileHash $sourcePath).Hash
    }

    It 'reads from -SourceOffset and writes at -DestinationOffset without moving the file positions' {
        $null = Invoke-Splice $source $destination -SourceOffset 1000 -DestinationOffset 10 -Length 500
        $written = [IO.File]::ReadAllBytes($destinationPath)
        $written.Length | Should -Be 510
        Get-BytesHash $written[10..509] | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($sourcePath)[1000..1499]))
        (Invoke-Splice $source $destination -Length 10).Bytes | Should -Be 10
        [IO.File]::ReadAllBytes($destinationPath)[0..9] | Should -Be ([IO.File]::ReadAllBytes($sourcePath)[0..9])
    }

    It 'takes the source from the pipeline' {
        ($source | Invoke-Splice -Destination $destination).Bytes | Should -Be 100000
    }
}

Describe 'Invoke-Splice with an O_APPEND destination' {
    It 'falls back to read/write and says so in Method' {
        $sourcePath = New-SourceFile 'append-source.bin' 5000
        $targetPath = Join-Path $TestDrive 'append.log'
        Set-Content -Path $targetPath -Value 'head' -NoNewline
        $source = Open-SpliceDescriptor -LiteralPath $sourcePath
        $target = Open-SpliceDescriptor -LiteralPath $targetPath -Access Append
        try {
            $result = Invoke-Splice $source $target
            { Invoke-Splice $source $target -DestinationOffset 0 -ErrorAction Stop } | Should -Throw -ErrorId "OffsetNotSupported,$Id"
        }
        finally { $source, $target | Close-SpliceDescriptor }
        $result.Method | Should -Be 'ReadWrite'
        $result.Bytes | Should -Be 5000
        $content = [IO.File]::ReadAllBytes($targetPath)
        [Text.Encoding]::ASCII.GetString($content, 0, 4) | Should -Be 'head'
        Get-BytesHash $content[4..5003] | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($sourcePath)))
    }
}

Describe 'Invoke-Splice into a device that refuses splice' {
    # /dev/full and /dev/kmsg have no splice_write: splice(2) into them fails with EINVAL, where
    # the shell's write(2) gives ENOSPC (/dev/full) or works (/dev/kmsg).
    It 'reports /dev/full as full (ENOSPC), as cat does, from <Case>' -TestCases @(
        @{ Case = 'a file'; Open = { Open-SpliceDescriptor -LiteralPath (New-SourceFile 'to-full.bin' 5000) } }
        @{ Case = 'a pipe'; Open = { $p = New-KernelPipe; Write-VmSplice -Pipe $p -InputObject (New-Payload 5000); $p } }
        @{ Case = '/dev/zero'; Open = { Open-SpliceDescriptor -LiteralPath /dev/zero } }
    ) {
        param($Case, $Open)
        $source = & $Open
        $full = Open-SpliceDescriptor -LiteralPath /dev/full -Access Write
        try {
            $null = Invoke-Splice $source $full -Length 5000 -TimeoutSec 5 -ErrorVariable failed -ErrorAction SilentlyContinue
        }
        finally { $source, $full | Close-SpliceDescriptor }
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be "SystemCallFailed,$Id"
        $failed[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $failed[0].Exception.ErrnoName | Should -Be 'ENOSPC'
    }

    It 'writes into /dev/kmsg, which never polls writable, by read/write from <Case>' -TestCases @(
        @{ Case = 'a file' }
        @{ Case = 'a pipe' }
    ) {
        param($Case)
        $line = New-KernelLogLine "Invoke-Splice-$($Case -replace ' ', '-')"
        if (-not $line) { Set-ItResult -Skipped -Because '/dev/kmsg cannot be written and read here'; return }
        $bytes = [Text.Encoding]::ASCII.GetBytes($line)
        if ($Case -eq 'a file') {
            $path = Join-Path $TestDrive 'kmsg-line.txt'
            [IO.File]::WriteAllBytes($path, $bytes)
            $source = Open-SpliceDescriptor -LiteralPath $path
        }
        else {
            $source = New-KernelPipe
            Write-VmSplice -Pipe $source -InputObject $bytes
        }
        $kmsg = Open-SpliceDescriptor -LiteralPath /dev/kmsg -Access Write
        try { $result = Invoke-Splice $source $kmsg -Length $bytes.Length -TimeoutSec 5 -ErrorAction Stop }
        finally { $source, $kmsg | Close-SpliceDescriptor }
        $result.Method | Should -Be 'ReadWrite'
        $result.Bytes | Should -Be $bytes.Length
        Test-KernelLogLine $line | Should -BeTrue
    }
}

Describe 'Invoke-Splice with kernel pipes' {
    BeforeEach { $pipe = New-KernelPipe; $other = New-KernelPipe }
    AfterEach { $pipe, $other | Close-SpliceDescriptor }

    It 'reads a pipe source from its read end and writes a pipe destination through its write end' {
        Write-VmSplice -Pipe $pipe -InputObject 'from one pipe to another' -NoNewline
        $pipe.WriteEnd.Close()
        (Invoke-Splice -Source $pipe -Destination $other -TimeoutSec 5).Bytes | Should -Be 24
        Read-KernelPipe $other -Raw | Should -BeExactly 'from one pipe to another'
    }

    It 'generates -Length bytes from /dev/zero' {
        $zero = Open-SpliceDescriptor -LiteralPath /dev/zero
        try { (Invoke-Splice $zero $pipe -Length 1000).Bytes | Should -Be 1000 }
        finally { $zero.Close() }
        (Read-KernelPipe $pipe -AsByteStream -Raw | Where-Object { $_ -ne 0 }).Count | Should -Be 0
    }

    It 'gives up on an idle pipe after -TimeoutSec with a Timeout error' {
        { Invoke-Splice -Source $pipe -Destination $other -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -ErrorId "Timeout,$Id"
    }

    It 'returns within a second of Ctrl+C while the source is idle' {
        $elapsed = Measure-Stop { param($from, $to) Invoke-Splice -Source $from -Destination $to } $pipe, $other
        $elapsed.TotalSeconds | Should -BeLessThan 1
    }

    It 'reports a destination pipe whose reader is gone as BrokenPipe, not a crash' {
        Write-VmSplice -Pipe $pipe -InputObject 'data'
        $other.ReadEnd.Close()
        $pipe.WriteEnd.Close()
        { Invoke-Splice -Source $pipe -Destination $other -TimeoutSec 5 -ErrorAction Stop } | Should -Throw -ErrorId "BrokenPipe,$Id"
    }
}

Describe 'Invoke-Splice from a file into a socket' {
    BeforeEach {
        $sourcePath = New-SourceFile 'send.bin' 300007
        $source = Open-SpliceDescriptor -LiteralPath $sourcePath
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $socket = Open-SpliceDescriptor -Uri "tcp://127.0.0.1:$($listener.LocalEndpoint.Port)" -TimeoutSec 10
        $far = $listener.AcceptSocket()
        $far.ReceiveTimeout = 10000
    }
    AfterEach { $source, $socket | Close-SpliceDescriptor; $far.Dispose(); $listener.Stop() }

    BeforeAll {
        # Reads what the far end receives until the sender shuts down its side.
        function Receive-All {
            $buffer = [IO.MemoryStream]::new()
            $chunk = [byte[]]::new(65536)
            while (($n = $far.Receive($chunk)) -gt 0) { $buffer.Write($chunk, 0, $n) }
            , $buffer.ToArray()
        }
    }

    It 'sends the file by sendfile and says so in Method' {
        $result = Invoke-Splice $source $socket -TimeoutSec 10
        $socket.Close()
        $result.Method | Should -Be 'SendFile'
        $result.Bytes | Should -Be 300007
        Get-BytesHash (Receive-All) | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($sourcePath)))
    }

    It 'sends -Length bytes from -SourceOffset without moving the file position' {
        (Invoke-Splice $source $socket -SourceOffset 1000 -Length 500 -TimeoutSec 10).Bytes | Should -Be 500
        (Invoke-Splice $source $socket -Length 10 -TimeoutSec 10).Bytes | Should -Be 10
        $socket.Close()
        $bytes = [IO.File]::ReadAllBytes($sourcePath)
        Get-BytesHash (Receive-All) | Should -Be (Get-BytesHash ($bytes[1000..1499] + $bytes[0..9]))
    }

    It 'gives up after -TimeoutSec and returns within a second of Ctrl+C when the far end stops reading' {
        # More than loopback socket buffers hold, so that sendfile finds the socket full.
        $bigPath = Join-Path $TestDrive 'big.bin'
        $big = [IO.File]::Create($bigPath); $big.SetLength(64MB); $big.Dispose()
        $bigSource = Open-SpliceDescriptor -LiteralPath $bigPath
        try {
            { Invoke-Splice $bigSource $socket -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -ErrorId "Timeout,$Id"
            $elapsed = Measure-Stop { param($from, $to) Invoke-Splice -Source $from -Destination $to } $bigSource, $socket
            $elapsed.TotalSeconds | Should -BeLessThan 1
        }
        finally { $bigSource.Close() }
    }
}

Describe 'Invoke-Splice from a TCP socket' {
    BeforeEach {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $received = Join-Path $TestDrive 'received.bin'
        $pipe = New-KernelPipe -Capacity 1MB
    }
    # The next case's arrival check must not see this case's file before its receiver truncates it.
    AfterEach { $listener.Stop(); $pipe | Close-SpliceDescriptor; Remove-Item -LiteralPath $received -ErrorAction Ignore }

    # A receiver that has just taken a burst waits for the next bytes in batches; what follows
    # a burst must still arrive as soon as it is sent, not when more comes or the sender closes.
    # Into a file the bytes go through a pipe of the cmdlet's own, into a pipe straight across.
    It 'passes on a burst and the short piece after it while the sender holds the connection open (<Case>)' -TestCases @(
        @{ Case = 'to a file, to end of input'; Into = 'file'; Length = $null }
        @{ Case = 'to a file, with a -Length the sender is short of'; Into = 'file'; Length = 2MB }
        @{ Case = 'to a kernel pipe, to end of input'; Into = 'pipe'; Length = $null }
    ) {
        param($Case, $Into, $Length)
        $receiver = Start-Peer {
            param($uri, $into, $length)
            $socket = Open-SpliceDescriptor -Uri $uri -TimeoutSec 10
            $file = if ($into -is [string]) { Open-SpliceDescriptor -LiteralPath $into -Access Write -Create }
            try {
                $splice = @{ Source = $socket; Destination = $(if ($file) { $file } else { $into }); TimeoutSec = 20 }
                if ($length) { $splice.Length = $length }
                Invoke-Splice @splice
            }
            finally { @($socket, $file) -ne $null | Close-SpliceDescriptor }
        } "tcp://127.0.0.1:$($listener.LocalEndpoint.Port)", $(if ($Into -eq 'file') { $received } else { $pipe }), $Length
        $sender = $listener.AcceptSocket()
        $arrived = if ($Into -eq 'file') { { if (Test-Path $received) { (Get-Item $received).Length } else { 0 } } } else { { $pipe.BytesAvailable } }
        function Wait-Arrived([long] $Bytes) {
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            while ((& $arrived) -lt $Bytes -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            & $arrived
        }
        try {
            $burst = New-Payload (512KB + 3)
            $tail = [byte[]](1..7)
            $null = $sender.Send($burst)
            Wait-Arrived $burst.Length | Should -Be $burst.Length
            $null = $sender.Send($tail)
            Wait-Arrived ($burst.Length + $tail.Length) | Should -Be ($burst.Length + $tail.Length)
            $null = $sender.Send($tail)
        }
        finally { $sender.Dispose() }
        $result = Wait-Peer $receiver -TimeoutSec 20
        $result.Bytes | Should -Be ($burst.Length + 2 * $tail.Length)
        $bytes = if ($Into -eq 'file') { [IO.File]::ReadAllBytes($received) } else { Read-KernelPipe -Pipe $pipe -AsByteStream -Raw -TimeoutSec 5 }
        Get-BytesHash $bytes | Should -Be (Get-BytesHash ($burst + $tail + $tail))
    }
}

Describe 'Invoke-Splice progress' {
    It 'shows bytes, rate and percent while a slow FIFO is spliced into a file with -Length, and completes' {
        $fifo = New-Fifo (Join-Path $TestDrive 'progress.fifo')
        $target = Join-Path $TestDrive 'progress.bin'
        $writer = Start-SlowFifoWriter $fifo
        $splice = Start-Peer {
            param($fifo, $target)
            $ProgressPreference = 'Continue'
            $source = Open-SpliceDescriptor -LiteralPath $fifo -Access Read -NonBlocking
            $file = Open-SpliceDescriptor -LiteralPath $target -Access Write -Create
            try { $null = Invoke-Splice -Source $source -Destination $file -Length (30 * 65536) -TimeoutSec 20 } finally { $source, $file | Close-SpliceDescriptor }
        } $fifo, $target
        $records = Wait-Peer $splice -Progress
        Wait-Peer $writer
        Assert-TransferProgress $records -WithPercent
        $records[0].Activity | Should -Be 'Invoke-Splice'
        (Get-Item $target).Length | Should -Be (30 * 65536)
    }
}

Describe 'Invoke-Splice misuse' {
    BeforeAll {
        $script:pipe = New-KernelPipe
        $script:file = Open-SpliceDescriptor -LiteralPath (New-SourceFile 'misuse.bin' 10)
        $script:both = Open-SpliceDescriptor -LiteralPath (New-SourceFile 'both.bin' 10) -Access ReadWrite
    }
    AfterAll { $pipe, $file, $both | Close-SpliceDescriptor }

    It 'refuses <Case> with <ErrorId>' -TestCases @(
        @{ Case = 'a write end as source'; ErrorId = 'SourceNotReadable'; Arguments = { @{ Source = $pipe.WriteEnd; Destination = $pipe } } }
        @{ Case = 'a read end as destination'; ErrorId = 'DestinationNotWritable'; Arguments = { @{ Source = $file; Destination = $pipe.ReadEnd } } }
        @{ Case = 'a read-only file as destination'; ErrorId = 'DestinationNotWritable'; Arguments = { @{ Source = $pipe; Destination = $file } } }
        @{ Case = 'an offset on a pipe'; ErrorId = 'OffsetNotSupported'; Arguments = { @{ Source = $pipe; Destination = $pipe; SourceOffset = 1 } } }
        @{ Case = 'an offset on a pipe destination'; ErrorId = 'OffsetNotSupported'; Arguments = { @{ Source = $file; Destination = $pipe; DestinationOffset = 1 } } }
        @{ Case = 'an offset plus length past the largest offset'; ErrorId = 'LengthOutOfRange'; Arguments = { @{ Source = $file; Destination = $pipe; SourceOffset = [long]::MaxValue - 5; Length = 10 } } }
        @{ Case = 'something that is no descriptor'; ErrorId = 'NotADescriptor'; Arguments = { @{ Source = 'a string'; Destination = $pipe } } }
        @{ Case = 'the same descriptor on both sides'; ErrorId = 'SamePipe'; Arguments = { @{ Source = $both; Destination = $both } } }
    ) {
        $splat = & $Arguments
        { Invoke-Splice @splat -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,$Id"
    }

    # Both ends of one pipe are one buffer: splice(2) refuses that (EINVAL), and read/write would
    # read back what it writes forever. Bounded, so that a regression cannot hang the suite.
    It 'refuses <Case> with SamePipe and moves nothing' -TestCases @(
        @{ Case = 'one kernel pipe as source and destination'; Ends = { param($p) @{ Source = $p; Destination = $p } } }
        @{ Case = 'the read end and the write end of one kernel pipe'; Ends = { param($p) @{ Source = $p.ReadEnd; Destination = $p.WriteEnd } } }
        @{ Case = 'the pipe as source and its own write end as destination'; Ends = { param($p) @{ Source = $p; Destination = $p.WriteEnd } } }
    ) {
        $same = New-KernelPipe
        try {
            Write-VmSplice -Pipe $same -InputObject 'hello' -NoNewline
            $run = Invoke-Bounded { param($ends) Invoke-Splice @ends -TimeoutSec 2 } @(, (& $Ends $same)) -TimeoutSec 15
            $run.Output | Should -BeNullOrEmpty
            $run.Errors.FullyQualifiedErrorId | Should -Be "SamePipe,$Id"
            $run.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $same.BytesAvailable | Should -Be 5
        }
        finally { $same.Close() }
    }

    It 'refuses a FIFO opened once for reading and once for writing with SamePipe' {
        $fifo = New-Fifo (Join-Path $TestDrive 'same.fifo')
        $reader = Open-SpliceDescriptor -LiteralPath $fifo -Access Read
        $writer = Open-SpliceDescriptor -LiteralPath $fifo -Access Write -TimeoutSec 5
        try {
            Write-VmSplice -Destination $writer -InputObject 'hello' -NoNewline
            $run = Invoke-Bounded { param($from, $to) Invoke-Splice -Source $from -Destination $to -TimeoutSec 2 } @($reader, $writer) -TimeoutSec 15
            $run.Errors.FullyQualifiedErrorId | Should -Be "SamePipe,$Id"
        }
        finally { $reader, $writer | Close-SpliceDescriptor }
    }

    # Like 'cat f >> f': writing ahead of where it reads, a copy to end of input would read back
    # what it wrote until the disk is full. Bounded, so that a regression cannot hang the suite.
    It 'refuses one file as source and as a destination ahead of it, without -Length, with SameFile (<Case>)' -TestCases @(
        @{ Case = 'appending'; Access = 'Append'; Splat = @{} }
        @{ Case = 'at a later -DestinationOffset'; Access = 'ReadWrite'; Splat = @{ DestinationOffset = 4 } }
        @{ Case = 'the destination''s position ahead'; Access = 'ReadWrite'; Splat = @{}; Ahead = 3 }
    ) {
        $path = New-SourceFile 'self.bin' 10
        $before = Get-BytesHash ([IO.File]::ReadAllBytes($path))
        $from = Open-SpliceDescriptor -LiteralPath $path
        $to = Open-SpliceDescriptor -LiteralPath $path -Access $Access
        try {
            if ($Ahead) {
                # Reading $Ahead bytes through the destination descriptor moves its position on.
                $skip = Open-SpliceDescriptor -LiteralPath /dev/null -Access Write
                try { $null = Invoke-Splice $to $skip -Length $Ahead } finally { $skip.Close() }
            }
            $run = Invoke-Bounded { param($from, $to, $splat) Invoke-Splice -Source $from -Destination $to @splat } @($from, $to, $Splat) -TimeoutSec 15
            $run.Errors.FullyQualifiedErrorId | Should -Be "SameFile,$Id"
            $run.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        }
        finally { $from, $to | Close-SpliceDescriptor }
        Get-BytesHash ([IO.File]::ReadAllBytes($path)) | Should -Be $before
    }

    It 'copies within one file when the copy cannot reach its own output (<Case>)' -TestCases @(
        @{ Case = 'with -Length'; Splat = @{ SourceOffset = 0; DestinationOffset = 4; Length = 3 }; Expected = 'abcdabchij' }
        @{ Case = 'writing behind the source'; Splat = @{ SourceOffset = 5 }; Expected = 'fghijfghij' }
    ) {
        $path = Join-Path $TestDrive 'within.txt'
        Set-Content -LiteralPath $path -Value 'abcdefghij' -NoNewline
        $from = Open-SpliceDescriptor -LiteralPath $path
        $to = Open-SpliceDescriptor -LiteralPath $path -Access ReadWrite
        try { $run = Invoke-Bounded { param($from, $to, $splat) Invoke-Splice -Source $from -Destination $to @splat } @($from, $to, $Splat) -TimeoutSec 15 }
        finally { $from, $to | Close-SpliceDescriptor }
        $run.Errors | Should -BeNullOrEmpty
        Get-Content -Raw -LiteralPath $path | Should -BeExactly $Expected
    }

    It 'refuses a closed descriptor with DescriptorClosed' {
        $closed = Open-SpliceDescriptor -LiteralPath /dev/zero
        $closed.Close()
        { Invoke-Splice -Source $closed -Destination $pipe -ErrorAction Stop } | Should -Throw -ErrorId "DescriptorClosed,$Id"
    }

    It 'refuses a negative length or offset when binding' {
        { Invoke-Splice -Source $file -Destination $pipe -Length -1 } | Should -Throw -ErrorId "ParameterArgumentValidationError,$Id"
        { Invoke-Splice -Source $file -Destination $pipe -SourceOffset -1 } | Should -Throw -ErrorId "ParameterArgumentValidationError,$Id"
    }

    It 'does nothing with -WhatIf' {
        $zero = Open-SpliceDescriptor -LiteralPath /dev/zero
        try { (Invoke-WhatIf { param($z, $p) Invoke-Splice $z $p -Length 10 -WhatIf } $zero, $pipe).Output | Should -BeNullOrEmpty }
        finally { $zero.Close() }
        $pipe.BytesAvailable | Should -Be 0
    }
}

Describe 'Invoke-Splice with a file item from the pipeline' {
    BeforeEach { $pipe = New-KernelPipe }
    AfterEach { $pipe | Close-SpliceDescriptor }

    It 'reads a Get-Item item as its file and closes it afterwards' {
        $path = Join-Path $TestDrive 'item[1].txt'
        Set-Content -LiteralPath $path -Value 'from a file item' -NoNewline
        $result = Get-Item -LiteralPath $path | Invoke-Splice -Destination $pipe -TimeoutSec 5
        $result.Bytes | Should -Be 16
        $result.Source | Should -Be $path
        Read-KernelPipe $pipe -Raw | Should -BeExactly 'from a file item'
        @(Get-ChildItem "/proc/$PID/fd" | Where-Object LinkTarget -EQ $path) | Should -BeNullOrEmpty
    }

    It 'opens nothing and moves nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'whatif-item.txt'
        Set-Content -LiteralPath $path -Value 'stay'
        (Invoke-WhatIf { param($f, $p) Get-Item -LiteralPath $f | Invoke-Splice -Destination $p -WhatIf } $path, $pipe).Output | Should -BeNullOrEmpty
        $pipe.BytesAvailable | Should -Be 0
    }

    It 'keeps a piped string a -Source (NotADescriptor)' {
        { 'some/path' | Invoke-Splice -Destination $pipe -ErrorAction Stop } | Should -Throw -ErrorId "NotADescriptor,$Id"
    }
}

Describe 'Invoke-Splice descriptors' {
    It 'leaves the count in /proc/self/fd unchanged' {
        Get-OpenFdCount | Should -Be $FdBaseline
    }
}
