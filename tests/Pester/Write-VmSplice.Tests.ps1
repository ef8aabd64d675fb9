BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1')
    $script:FdBaseline = Get-WarmFdBaseline
}

Describe 'Write-VmSplice into a pipe' {
    BeforeEach { $pipe = New-KernelPipe }
    AfterEach { $pipe.Close() }

    It 'writes strings as lines, and without newlines with -NoNewline' {
        'one', 'two' | Write-VmSplice -Pipe $pipe
        Write-VmSplice -Pipe $pipe -InputObject 'three' -NoNewline
        Read-KernelPipe -Pipe $pipe -Raw | Should -BeExactly "one`ntwo`nthree"
    }

    It 'writes characters unrolled from a char[] as text, as Set-Content does' {
        [char[]]'abc' | Write-VmSplice -Pipe $pipe
        [char[]]'de' | Write-VmSplice -Pipe $pipe -NoNewline
        Write-VmSplice -Pipe $pipe -InputObject ([char[]]'whole')
        Read-KernelPipe -Pipe $pipe -Raw | Should -BeExactly "a`nb`nc`ndewhole`n"
    }

    It 'skips $null silently, as Set-Content does' {
        'a', $null, 'b' | Write-VmSplice -Pipe $pipe -ErrorVariable failed
        Write-VmSplice -Pipe $pipe -InputObject $null -ErrorVariable +failed
        $failed | Should -BeNullOrEmpty
        Read-KernelPipe -Pipe $pipe -Raw | Should -BeExactly "a`nb`n"
    }

    It 'writes a byte array exactly, whole or unrolled by the pipeline' {
        $bytes = New-Payload 5000
        Write-VmSplice -Pipe $pipe -InputObject $bytes
        $bytes | Write-VmSplice -Pipe $pipe
        $back = Read-KernelPipe -Pipe $pipe -AsByteStream -Raw
        $back.Length | Should -Be 10000
        Get-BytesHash $back[0..4999] | Should -Be (Get-BytesHash $bytes)
        Get-BytesHash $back[5000..9999] | Should -Be (Get-BytesHash $bytes)
    }

    It 'encodes with -Encoding, writing no byte order mark into the stream' {
        Write-VmSplice -Pipe $pipe -InputObject 'Grüße' -Encoding unicode -NoNewline
        $pipe.BytesAvailable | Should -Be 10
        Read-KernelPipe -Pipe $pipe -Encoding unicode -Raw | Should -BeExactly 'Grüße'
    }

    It 'keeps what it wrote when the caller overwrites its array afterwards' {
        $bytes = [byte[]]::new(10000)
        [Array]::Fill($bytes, [byte]0xAB)
        Write-VmSplice -Pipe $pipe -InputObject $bytes
        [Array]::Fill($bytes, [byte]0xCD)
        [GC]::Collect()
        $back = Read-KernelPipe -Pipe $pipe -AsByteStream -Raw
        $back.Length | Should -Be 10000
        ($back | Where-Object { $_ -ne 0xAB }).Count | Should -Be 0
    }

    It 'reports what it wrote with -PassThru' {
        $result = Write-VmSplice -Pipe $pipe -InputObject 'abc' -PassThru
        $result | Should -BeOfType [SpliceModule.SpliceTransferResult]
        $result.Bytes | Should -Be 4
        $result.Method | Should -Be 'VmSplice'
    }

    It 'fits 1,000 one-line strings into a 64 KiB pipe, all of them in order' {
        # Each vmsplice takes one of the pipe's 16 buffer slots per page it touches: mapped one by
        # one, the 17th string would wait for a reader that never comes.
        $pipe.Capacity | Should -Be 65536
        $lines = 1..1000 | ForEach-Object { "line $_" }
        $lines | Write-VmSplice -Pipe $pipe -TimeoutSec 5
        Read-KernelPipe -Pipe $pipe | Should -Be $lines
    }

    It 'feeds a reader that drains meanwhile with many times the pipe''s capacity in short strings, in order' {
        $lines = 1..20000 | ForEach-Object { 'line {0:d5}' -f $_ }
        $expected = ($lines -join "`n") + "`n"
        $peer = Start-Peer { param($pipe, $length) Read-KernelPipe -Pipe $pipe -Length $length -Raw -TimeoutSec 30 } $pipe, $expected.Length
        $lines | Write-VmSplice -Pipe $pipe -TimeoutSec 30
        Wait-Peer $peer | Should -BeExactly $expected
    }

    It 'refuses input that is not bytes or text with UnsupportedInput and writes the rest' {
        'a', 42, 'b' | Write-VmSplice -Pipe $pipe -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -Be 'UnsupportedInput,SpliceModule.Commands.WriteVmSpliceCommand'
        Read-KernelPipe -Pipe $pipe | Should -Be @('a', 'b')
    }

    It 'waits on a full pipe and gives up after -TimeoutSec with a Timeout error' {
        $small = New-KernelPipe -Capacity 4096
        try {
            { Write-VmSplice -Pipe $small -InputObject (New-Payload 100000) -TimeoutSec 1 -ErrorAction Stop } |
                Should -Throw -ErrorId 'Timeout,SpliceModule.Commands.WriteVmSpliceCommand'
        }
        finally { $small.Close() }
    }

    It 'returns within a second of Ctrl+C while the pipe is full' {
        $elapsed = Measure-Stop { param($pipe) Write-VmSplice -Pipe $pipe -InputObject ([byte[]]::new(1MB)) } $pipe
        $elapsed.TotalSeconds | Should -BeLessThan 1
    }

    It 'reports a pipe whose reader is gone as BrokenPipe' {
        $pipe.ReadEnd.Close()
        { Write-VmSplice -Pipe $pipe -InputObject 'nobody listens' -ErrorAction Stop } |
            Should -Throw -ErrorId 'BrokenPipe,SpliceModule.Commands.WriteVmSpliceCommand'
    }

    It 'refuses a closed pipe with DescriptorClosed' {
        $pipe.Close()
        { Write-VmSplice -Pipe $pipe -InputObject 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'DescriptorClosed,SpliceModule.Commands.WriteVmSpliceCommand'
    }
}

Describe 'Write-VmSplice -Destination' {
    It 'creates a file from strings at a path relative to the current location' {
        Push-Location $TestDrive
        try { 'x', 'y' | Write-VmSplice -Destination 'made.txt' }
        finally { Pop-Location }
        Get-Content -Raw (Join-Path $TestDrive 'made.txt') | Should -BeExactly "x`ny`n"
    }

    It 'generates a large file whose content is unchanged after the caller reuses its buffer' {
        $path = Join-Path $TestDrive 'generated.bin'
        $chunk = [byte[]]::new(1MB)
        $expected = [IO.MemoryStream]::new()
        $writes = foreach ($i in 1..5) {
            [Array]::Fill($chunk, [byte]$i)
            $expected.Write($chunk, 0, $chunk.Length)
            , $chunk.Clone()
        }
        $writes | Write-VmSplice -Destination $path
        Get-BytesHash ([IO.File]::ReadAllBytes($path)) | Should -Be (Get-BytesHash $expected.ToArray())
    }

    It 'writes through a socket descriptor and the peer receives exactly the bytes' {
        $uri = "unix://$TestDrive/vm.sock"
        $out = Join-Path $TestDrive 'from-socket.bin'
        $peer = Start-Peer {
            param($uri, $out)
            $server = Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 20
            $file = Open-SpliceDescriptor -LiteralPath $out -Access Write -Create
            try { $null = Invoke-Splice -Source $server -Destination $file -TimeoutSec 20 } finally { $server.Close(); $file.Close() }
        } $uri, $out
        $client = Connect-Peer $uri
        $bytes = New-Payload 300000
        try {
            Write-VmSplice -Destination $client -InputObject $bytes -TimeoutSec 20
            [Array]::Clear($bytes)
        }
        finally { $client.Close() }
        Wait-Peer $peer
        Get-BytesHash ([IO.File]::ReadAllBytes($out)) | Should -Be (Get-BytesHash (New-Payload 300000))
    }

    It 'writes into a FIFO whose reader is another process' {
        $fifo = New-Fifo (Join-Path $TestDrive 'vm.fifo')
        $peer = Start-Peer { param($fifo) [IO.File]::ReadAllText($fifo) } $fifo
        Write-VmSplice -Destination $fifo -InputObject 'through the fifo' -TimeoutSec 20
        Wait-Peer $peer | Should -BeExactly "through the fifo`n"
    }

    It 'leaves no file behind when the input fails part-way' {
        $path = Join-Path $TestDrive 'half.bin'
        $small = New-KernelPipe
        $small.ReadEnd.Close()
        'a' | Write-VmSplice -Destination $small -ErrorAction SilentlyContinue -ErrorVariable failed
        $failed[0].FullyQualifiedErrorId | Should -Be 'BrokenPipe,SpliceModule.Commands.WriteVmSpliceCommand'
        $small.Close()
        { & { 'line'; throw 'the producer failed' } | Write-VmSplice -Destination $path } | Should -Throw 'the producer failed'
        Test-Path $path | Should -BeFalse
        Get-ChildItem -Force $TestDrive -Filter '*.splicetmp' | Should -BeNullOrEmpty
    }

    # A trailing slash names a directory, as it does to open(2), cp and a shell's >.
    It 'makes no file at <Name>/ and leaves what stands there alone (<Cmdlet>: <ErrorId>)' -ForEach @(
        foreach ($cmdlet in 'Write-VmSplice', 'Invoke-Tee') {
            @{ Cmdlet = $cmdlet; Name = 'missing'; ErrorId = 'PathNotFound' }
            @{ Cmdlet = $cmdlet; Name = 'a-file'; ErrorId = 'SystemCallFailed' }
            @{ Cmdlet = $cmdlet; Name = 'link-to-file'; ErrorId = 'SystemCallFailed' }
        }
        @{ Cmdlet = 'Write-VmSplice'; Name = 'link-to-directory'; ErrorId = 'DestinationIsDirectory' }
    ) {
        $work = Join-Path $TestDrive "slash-$Cmdlet-$Name"
        $null = New-Item -ItemType Directory -Path $work, "$work/directory"
        Set-Content -LiteralPath "$work/a-file" -Value 'kept'
        $null = New-Item -ItemType SymbolicLink -Path "$work/link-to-file" -Target "$work/a-file"
        $null = New-Item -ItemType SymbolicLink -Path "$work/link-to-directory" -Target "$work/directory"
        Set-Content -LiteralPath "$work/source" -Value 'new' -NoNewline
        $before = Get-ChildItem -LiteralPath $work -Recurse -Force | ForEach-Object { "$($_.FullName) $($_.LinkType) $($_.Length)" }

        $destination = "$work/$Name/"
        if ($Cmdlet -eq 'Write-VmSplice') { 'new' | Write-VmSplice -Destination $destination -ErrorAction SilentlyContinue -ErrorVariable failed }
        else { Invoke-Tee -LiteralPath "$work/source" -Destination $destination -ErrorAction SilentlyContinue -ErrorVariable failed }

        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        Get-ChildItem -LiteralPath $work -Recurse -Force | ForEach-Object { "$($_.FullName) $($_.LinkType) $($_.Length)" } | Should -Be $before
        Get-Content -LiteralPath "$work/a-file" | Should -Be 'kept'
    }

    It 'writes an empty file for $null alone, as Set-Content does' {
        $path = Join-Path $TestDrive 'null.txt'
        $null | Write-VmSplice -Destination $path -ErrorVariable failed
        $failed | Should -BeNullOrEmpty
        (Get-Item -LiteralPath $path).Length | Should -Be 0
    }

    It 'shows the full path it would write with -WhatIf, not the relative one typed' {
        $dir = Join-Path $TestDrive 'whatif-rel'
        New-Item -ItemType Directory -Path $dir | Out-Null
        $run = Invoke-FreshPwsh -Script "Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Set-Location -LiteralPath '$dir'; 'x' | Write-VmSplice -Destination rel.txt -WhatIf" -WorkingDirectory '/'
        ($run.Output -split "`n" | ForEach-Object TrimEnd) | Should -Contain "What if: Performing the operation `"Write with vmsplice`" on target `"$dir/rel.txt`"."
        Test-Path -LiteralPath "$dir/rel.txt" | Should -BeFalse
    }

    It 'does nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.txt'
        Invoke-WhatIf { param($p) 'x' | Write-VmSplice -Destination $p -WhatIf } $path | Out-Null
        Test-Path $path | Should -BeFalse
    }
}

Describe 'Write-VmSplice -Destination a device that refuses splice' {
    # /dev/full and /dev/kmsg have no splice_write: splice(2) from the cmdlet's pipe into them
    # fails with EINVAL, where write(2) gives ENOSPC (/dev/full) or works (/dev/kmsg).
    It 'reports /dev/full as full (ENOSPC) given as a <Case>' -TestCases @(
        @{ Case = 'path' }
        @{ Case = 'descriptor' }
    ) {
        param($Case)
        $full = if ($Case -eq 'path') { '/dev/full' } else { Open-SpliceDescriptor -LiteralPath /dev/full -Access Write }
        try { 'x' | Write-VmSplice -Destination $full -TimeoutSec 5 -ErrorVariable failed -ErrorAction SilentlyContinue }
        finally { if ($full -isnot [string]) { $full.Close() } }
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'SystemCallFailed,SpliceModule.Commands.WriteVmSpliceCommand'
        $failed[0].Exception.ErrnoName | Should -Be 'ENOSPC'
    }

    It 'writes into /dev/kmsg by write(2) and says ReadWrite' {
        $line = New-KernelLogLine 'Write-VmSplice'
        if (-not $line) { Set-ItResult -Skipped -Because '/dev/kmsg cannot be written and read here'; return }
        $kmsg = Open-SpliceDescriptor -LiteralPath /dev/kmsg -Access Write
        try { $result = Write-VmSplice -Destination $kmsg -InputObject $line -NoNewline -PassThru -TimeoutSec 5 -ErrorAction Stop }
        finally { $kmsg.Close() }
        $result.Method | Should -Be 'ReadWrite'
        $result.Bytes | Should -Be $line.Length
        Test-KernelLogLine $line | Should -BeTrue
    }
}

Describe 'Write-VmSplice descriptors' {
    It 'leaves the count in /proc/self/fd unchanged' {
        Get-OpenFdCount | Should -Be $FdBaseline
    }
}

Describe 'A file that Write-VmSplice or Invoke-Tee replaces' {
    It 'keeps its owner and mode, as Copy-SpliceItem and a shell''s > keep them (<Cmdlet>)' -ForEach @(
        @{ Cmdlet = 'Write-VmSplice'; Write = { param($source, $destination) 'new secret' | Write-VmSplice -Destination $destination } }
        @{ Cmdlet = 'Invoke-Tee'; Write = { param($source, $destination) Invoke-Tee -Path $source -Destination $destination } }
    ) {
        $destination = Join-Path $TestDrive "private-$Cmdlet"
        Set-Content -LiteralPath $destination -Value 'old'
        chmod 600 -- $destination
        $isRoot = (id -u) -eq '0'
        if ($isRoot) { chown nobody -- $destination }
        $owner = stat -c '%u' -- $destination
        $source = Join-Path $TestDrive "public-$Cmdlet"
        Set-Content -LiteralPath $source -Value 'new secret' -NoNewline
        chmod 644 -- $source

        & $Write $source $destination
        stat -c '%a %u' -- $destination | Should -Be "600 $owner"
        (Get-Content -LiteralPath $destination -Raw).TrimEnd() | Should -Be 'new secret'
    }
}
