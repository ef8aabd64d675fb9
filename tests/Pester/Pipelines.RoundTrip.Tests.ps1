BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1')

    # Larger than a default pipe, not a multiple of a page: flow control and short transfers matter.
    $script:Size = 200KB + 7
    $script:Payload = New-Payload $Size

    # One source end of each kind: the descriptor (or pipe) Invoke-Splice reads, the peer that
    # feeds it, and the bytes that should come out.
    function New-SourceEnd([string] $Kind, [string] $Dir) {
        $expected = $Payload
        switch ($Kind) {
            'File' {
                [IO.File]::WriteAllBytes("$Dir/source.bin", $Payload)
                $end = Open-SpliceDescriptor -LiteralPath "$Dir/source.bin"
            }
            'Pipe' {
                $end = New-KernelPipe
                $peer = Start-Peer { param($pipe, $data) Write-VmSplice -Pipe $pipe -InputObject $data -TimeoutSec 20; $pipe.WriteEnd.Close() } $end, $Payload
            }
            'Fifo' {
                $fifo = New-Fifo "$Dir/source.fifo"
                $end = Open-SpliceDescriptor -LiteralPath $fifo
                $peer = Start-Peer { param($fifo, $data) [IO.File]::WriteAllBytes($fifo, $data) } $fifo, $Payload
            }
            { $_ -in 'Tcp', 'Unix' } {
                $uri = if ($Kind -eq 'Tcp') { "tcp://127.0.0.1:$(Get-FreeTcpPort)" } else { "unix://$Dir/source.sock" }
                $peer = Start-Peer {
                    param($uri, $data)
                    $server = Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 20
                    try { Write-VmSplice -Destination $server -InputObject $data -TimeoutSec 20 } finally { $server.Close() }
                } $uri, $Payload
                $end = Connect-Peer $uri
            }
            'Zero' {
                $end = Open-SpliceDescriptor -LiteralPath /dev/zero
                $expected = [byte[]]::new($Size)
            }
        }
        @{ End = $end; Peer = $peer; Expected = $expected; Length = if ($Kind -eq 'Zero') { $Size } }
    }

    # One destination end of each kind and the peer that collects what arrives into a file.
    function New-DestinationEnd([string] $Kind, [string] $Dir) {
        $collected = "$Dir/collected.bin"
        $collect = { param($from, $out) $file = Open-SpliceDescriptor -LiteralPath $out -Access Write -Create; try { $null = Invoke-Splice -Source $from -Destination $file -TimeoutSec 20 } finally { $file.Close() } }
        switch ($Kind) {
            'File' { $end = Open-SpliceDescriptor -LiteralPath $collected -Access Write -Create }
            'Pipe' {
                $end = New-KernelPipe
                $peer = Start-Peer $collect $end, $collected
            }
            'Fifo' {
                $fifo = New-Fifo "$Dir/destination.fifo"
                $peer = Start-Peer { param($fifo, $out, $collect) & ([scriptblock]::Create($collect)) (Open-SpliceDescriptor -LiteralPath $fifo) $out } $fifo, $collected, $collect.ToString()
                $end = Open-SpliceDescriptor -LiteralPath $fifo -Access Write -TimeoutSec 20
            }
            { $_ -in 'Tcp', 'Unix' } {
                $uri = if ($Kind -eq 'Tcp') { "tcp://127.0.0.1:$(Get-FreeTcpPort)" } else { "unix://$Dir/destination.sock" }
                $peer = Start-Peer { param($uri, $out, $collect) & ([scriptblock]::Create($collect)) (Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 20) $out } $uri, $collected, $collect.ToString()
                $end = Connect-Peer $uri
            }
            'Null' { $end = Open-SpliceDescriptor -LiteralPath /dev/null -Access Write }
        }
        @{ End = $end; Peer = $peer; Collected = if ($Kind -ne 'Null') { $collected } }
    }

    function Close-End($end) {
        # A pipe's write end closes first so that its collector sees end of input.
        if ($end -is [SpliceModule.KernelPipe]) { $end.WriteEnd.Close() } else { $end.Close() }
    }

    $script:FdBaseline = Get-WarmFdBaseline
}

Describe 'Invoke-Splice round trips between every pair of kinds' {
    $cases = foreach ($source in 'File', 'Pipe', 'Fifo', 'Tcp', 'Unix', 'Zero') {
        foreach ($destination in 'File', 'Pipe', 'Fifo', 'Tcp', 'Unix', 'Null') {
            @{ Source = $source; Destination = $destination }
        }
    }

    It 'moves <Source> to <Destination> byte for byte' -TestCases $cases {
        $dir = Join-Path $TestDrive "$Source-$Destination"
        New-Item -ItemType Directory $dir | Out-Null
        $from = New-SourceEnd $Source $dir
        $to = New-DestinationEnd $Destination $dir
        try {
            $splice = @{ Source = $from.End; Destination = $to.End; TimeoutSec = 20 }
            if ($from.Length) { $splice.Length = $from.Length }
            $result = Invoke-Splice @splice
        }
        finally {
            Close-End $from.End
            Close-End $to.End
            if ($from.Peer) { Wait-Peer $from.Peer }
            if ($to.Peer) { Wait-Peer $to.Peer }
            if ($to.End -is [SpliceModule.KernelPipe]) { $to.End.Close() }
        }

        $result.Bytes | Should -Be $Size
        # A file goes into a (non-blocking) socket by sendfile(2); everything else by splice(2).
        $result.Method | Should -Be $(if ($Source -eq 'File' -and $Destination -in 'Tcp', 'Unix') { 'SendFile' } else { 'Splice' })
        if ($to.Collected) {
            Get-BytesHash ([IO.File]::ReadAllBytes($to.Collected)) | Should -Be (Get-BytesHash $from.Expected)
        }
    }
}

Describe 'Descriptors after the round trips' {
    It 'leaves the count in /proc/self/fd unchanged' {
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        Get-OpenFdCount | Should -Be $FdBaseline
    }
}
