BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1')
    $script:FdBaseline = Get-WarmFdBaseline
}

Describe 'Read-KernelPipe' {
    BeforeEach { $pipe = New-KernelPipe }
    AfterEach { $pipe.Close() }

    It 'returns what the pipe holds as lines' {
        Write-VmSplice -Pipe $pipe -InputObject 'alpha', 'beta', 'gamma'
        Read-KernelPipe -Pipe $pipe | Should -Be @('alpha', 'beta', 'gamma')
        $pipe.BytesAvailable | Should -Be 0
    }

    It 'returns one string with -Raw and splits CRLF lines too' {
        Write-VmSplice -Pipe $pipe -InputObject "one`r`ntwo`n" -NoNewline
        Read-KernelPipe -Pipe $pipe -Raw | Should -BeExactly "one`r`ntwo`n"
        Write-VmSplice -Pipe $pipe -InputObject "one`r`ntwo" -NoNewline
        Read-KernelPipe -Pipe $pipe | Should -Be @('one', 'two')
    }

    It 'returns bytes one by one with -AsByteStream and as one array with -Raw' {
        Write-VmSplice -Pipe $pipe -InputObject (, [byte[]](0, 1, 2, 255))
        $bytes = Read-KernelPipe -Pipe $pipe -AsByteStream
        $bytes | Should -Be @(0, 1, 2, 255)
        $bytes[0] | Should -BeOfType [byte]

        Write-VmSplice -Pipe $pipe -InputObject (, [byte[]](7, 8, 9))
        $array = Read-KernelPipe -Pipe $pipe -AsByteStream -Raw
        , $array | Should -BeOfType [byte[]]
        $array | Should -Be @(7, 8, 9)
    }

    It 'decodes with -Encoding' {
        Write-VmSplice -Pipe $pipe -InputObject 'Grüße' -Encoding unicode -NoNewline
        $pipe.BytesAvailable | Should -Be 10
        Read-KernelPipe -Pipe $pipe -Encoding unicode -Raw | Should -BeExactly 'Grüße'
    }

    It 'takes the pipe from the pipeline and reads only -Length bytes' {
        Write-VmSplice -Pipe $pipe -InputObject 'abcdef' -NoNewline
        $pipe | Read-KernelPipe -Length 4 -Raw | Should -BeExactly 'abcd'
        $pipe.BytesAvailable | Should -Be 2
    }

    It 'waits for -Length bytes that a writer sends later' {
        $peer = Start-Peer { param($pipe) Start-Sleep -Milliseconds 300; Write-VmSplice -Pipe $pipe -InputObject 'world' -NoNewline } $pipe
        Write-VmSplice -Pipe $pipe -InputObject 'hello ' -NoNewline
        Read-KernelPipe -Pipe $pipe -Length 11 -Raw -TimeoutSec 20 | Should -BeExactly 'hello world'
        Wait-Peer $peer
    }

    It 'returns end of input at once when the writers are gone' {
        Write-VmSplice -Pipe $pipe -InputObject 'last' -NoNewline
        $pipe.WriteEnd.Close()
        Read-KernelPipe -Pipe $pipe -Raw -TimeoutSec 5 | Should -BeExactly 'last'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Read-KernelPipe -Pipe $pipe -TimeoutSec 5 | Should -BeNullOrEmpty
        Read-KernelPipe -Pipe $pipe -Length 100 -TimeoutSec 5 | Should -BeNullOrEmpty
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 4
    }

    It 'gives up on an idle pipe after -TimeoutSec with a Timeout error' {
        { Read-KernelPipe -Pipe $pipe -TimeoutSec 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'Timeout,SpliceModule.Commands.ReadKernelPipeCommand'
    }

    It 'returns within a second of Ctrl+C while waiting on an idle pipe' {
        $elapsed = Measure-Stop { param($pipe) Read-KernelPipe -Pipe $pipe } $pipe
        $elapsed.TotalSeconds | Should -BeLessThan 1
    }

    It 'refuses a closed pipe with DescriptorClosed' {
        $closed = New-KernelPipe
        $closed.Close()
        { Read-KernelPipe -Pipe $closed -ErrorAction Stop } |
            Should -Throw -ErrorId 'DescriptorClosed,SpliceModule.Commands.ReadKernelPipeCommand'
    }

    It 'refuses a length of 0 or less' {
        { Read-KernelPipe -Pipe $pipe -Length 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,SpliceModule.Commands.ReadKernelPipeCommand'
    }
}

Describe 'Read-KernelPipe from FIFO and socket descriptors' {
    It 'reads the lines a writer sends through a FIFO, until it closes' {
        $fifo = New-Fifo (Join-Path $TestDrive 'lines.fifo')
        $reader = Open-SpliceDescriptor -LiteralPath $fifo -Access Read -NonBlocking
        try {
            $peer = Start-Peer { param($fifo) [IO.File]::WriteAllText($fifo, "one`ntwo`nthree`n") } $fifo
            Wait-Peer $peer
            $reader | Read-KernelPipe -Length 1000 -TimeoutSec 10 | Should -Be @('one', 'two', 'three')
        }
        finally { $reader | Close-SpliceDescriptor }
    }

    It 'reads a TCP socket: what has arrived, then the rest until the peer closes' {
        $port = Get-FreeTcpPort
        $payload = New-Payload 70000 5
        $peer = Start-Peer {
            param($port, [byte[]] $payload)
            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, $port)
            $listener.Start()
            try {
                $client = $listener.AcceptTcpClient()
                $stream = $client.GetStream()
                $stream.Write($payload, 0, 1000); $stream.Flush()
                Start-Sleep -Milliseconds 300
                $stream.Write($payload, 1000, $payload.Length - 1000)
                $client.Dispose()
            }
            finally { $listener.Stop() }
        } $port, $payload
        $socket = Connect-Peer "tcp://127.0.0.1:$port"
        try {
            $first = Read-KernelPipe -Pipe $socket -AsByteStream -Raw -TimeoutSec 10
            $rest = Read-KernelPipe -Pipe $socket -Length 1MB -AsByteStream -Raw -TimeoutSec 10
            Wait-Peer $peer
        }
        finally { $socket | Close-SpliceDescriptor }
        $first.Length | Should -BeGreaterThan 0
        Get-BytesHash ([byte[]]($first + $rest)) | Should -Be (Get-BytesHash $payload)
    }

    It 'refuses a file (UnsupportedInput) and a pipe''s write end (SourceNotReadable)' {
        $path = Join-Path $TestDrive 'plain.txt'
        Set-Content -LiteralPath $path -Value 'text'
        $file = Open-SpliceDescriptor -LiteralPath $path
        $pipe = New-KernelPipe
        try {
            { Read-KernelPipe -Pipe $file -ErrorAction Stop } | Should -Throw -ErrorId 'UnsupportedInput,SpliceModule.Commands.ReadKernelPipeCommand'
            { Read-KernelPipe -Pipe $pipe.WriteEnd -ErrorAction Stop } | Should -Throw -ErrorId 'SourceNotReadable,SpliceModule.Commands.ReadKernelPipeCommand'
            { Read-KernelPipe -Pipe 'not a pipe' -ErrorAction Stop } | Should -Throw -ErrorId 'NotADescriptor,SpliceModule.Commands.ReadKernelPipeCommand'
        }
        finally { $file, $pipe | Close-SpliceDescriptor }
    }
}

Describe 'Read-KernelPipe with a file item from the pipeline' {
    It 'reads the FIFO a Get-Item item names and closes it afterwards' {
        $fifo = New-Fifo (Join-Path $TestDrive 'item.fifo')
        $peer = Start-Peer { param($fifo) Start-Sleep -Milliseconds 300; [IO.File]::WriteAllText($fifo, "via`nfifo`n") } $fifo
        Get-Item -LiteralPath $fifo | Read-KernelPipe -Length 9 -TimeoutSec 10 | Should -Be @('via', 'fifo')
        Wait-Peer $peer
        @(Get-ChildItem "/proc/$PID/fd" | Where-Object LinkTarget -EQ $fifo) | Should -BeNullOrEmpty
    }

    It 'refuses the item of a regular file as it refuses its descriptor (UnsupportedInput)' {
        $path = Join-Path $TestDrive 'item.txt'
        Set-Content -LiteralPath $path -Value 'text'
        { Get-Item -LiteralPath $path | Read-KernelPipe -ErrorAction Stop } | Should -Throw -ErrorId 'UnsupportedInput,SpliceModule.Commands.ReadKernelPipeCommand'
    }
}

Describe 'Read-KernelPipe descriptors' {
    It 'leaves the count in /proc/self/fd unchanged' {
        Get-OpenFdCount | Should -Be $FdBaseline
    }
}
