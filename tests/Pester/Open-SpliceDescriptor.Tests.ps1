BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Pipelines.Helpers.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:FdBaseline = Get-WarmFdBaseline
    $script:Id = 'SpliceModule.Commands.OpenSpliceDescriptorCommand'
}

Describe 'Open-SpliceDescriptor by path' {
    BeforeAll {
        $script:file = Join-Path $TestDrive 'data.txt'
        Set-Content -Path $file -Value 'content' -NoNewline
    }

    It 'opens a file for reading by default and closes it once' {
        $descriptor = Open-SpliceDescriptor -Path $file
        $descriptor | Should -BeOfType [SpliceModule.SpliceDescriptor]
        $descriptor.Kind | Should -Be 'File'
        $descriptor.Access | Should -Be 'Read'
        $descriptor.Path | Should -Be $file
        Test-Path "/proc/$PID/fd/$($descriptor.Fd)" | Should -BeTrue
        $descriptor.Close()
        $descriptor.IsClosed | Should -BeTrue
        { $descriptor | Close-SpliceDescriptor } | Should -Not -Throw
    }

    It 'resolves relative and TestDrive: paths, and literal names with brackets' {
        $bracketed = Join-Path $TestDrive 'a[1].txt'
        Set-Content -LiteralPath $bracketed -Value 'x'
        Push-Location $TestDrive
        try {
            $relative = Open-SpliceDescriptor 'data.txt'
            $drive = Open-SpliceDescriptor -Path 'TestDrive:/data.txt'
            $literal = Get-Item -LiteralPath $bracketed | Open-SpliceDescriptor
        }
        finally { Pop-Location }
        try {
            $relative.Path | Should -Be $file
            $drive.Path | Should -Be $file
            $literal.Path | Should -Be $bracketed
        }
        finally { $relative, $drive, $literal | Close-SpliceDescriptor }
    }

    It 'opens one descriptor per wildcard match' {
        Set-Content (Join-Path $TestDrive 'w1.log') 'a'
        Set-Content (Join-Path $TestDrive 'w2.log') 'b'
        $all = Open-SpliceDescriptor -Path (Join-Path $TestDrive 'w*.log')
        try { $all.Count | Should -Be 2 } finally { $all | Close-SpliceDescriptor }
    }

    It 'creates a file with -Create and truncates it when opened for Write' {
        $new = Join-Path $TestDrive 'new.txt'
        $descriptor = Open-SpliceDescriptor -LiteralPath $new -Access Write -Create
        try {
            $descriptor.Access | Should -Be 'Write'
            Write-VmSplice -Destination $descriptor -InputObject 'first write, long' -NoNewline
        }
        finally { $descriptor.Close() }
        $again = Open-SpliceDescriptor -LiteralPath $new -Access Write
        try { Write-VmSplice -Destination $again -InputObject 'short' -NoNewline } finally { $again.Close() }
        Get-Content -Raw $new | Should -BeExactly 'short'
    }

    It 'appends with -Access Append' {
        $log = Join-Path $TestDrive 'append.txt'
        Set-Content -Path $log -Value 'one' -NoNewline
        $descriptor = Open-SpliceDescriptor -LiteralPath $log -Access Append
        try { Write-VmSplice -Destination $descriptor -InputObject '+two' -NoNewline } finally { $descriptor.Close() }
        Get-Content -Raw $log | Should -BeExactly 'one+two'
    }

    It 'opens character devices' {
        $null_ = Open-SpliceDescriptor -LiteralPath /dev/null -Access Write
        try { $null_.Kind | Should -Be 'CharacterDevice' } finally { $null_.Close() }
    }

    It 'opens a FIFO for reading at once, before any writer' {
        $fifo = New-Fifo (Join-Path $TestDrive 'read.fifo')
        $descriptor = Open-SpliceDescriptor -LiteralPath $fifo -TimeoutSec 5
        try { $descriptor.Kind | Should -Be 'Fifo' } finally { $descriptor.Close() }
    }

    It 'waits for a FIFO reader when opening for Write' {
        $fifo = New-Fifo (Join-Path $TestDrive 'write.fifo')
        $peer = Start-Peer { param($fifo) Start-Sleep -Milliseconds 300; [IO.File]::ReadAllText($fifo) } $fifo
        $descriptor = Open-SpliceDescriptor -LiteralPath $fifo -Access Write -TimeoutSec 20
        try { Write-VmSplice -Destination $descriptor -InputObject 'hello reader' } finally { $descriptor.Close() }
        Wait-Peer $peer | Should -BeExactly "hello reader`n"
    }

    # A check by path is a race: a FIFO swapped in after the cmdlet looked at a regular file must
    # not make open(2) block (uninterruptibly, beyond Ctrl+C). One runspace flips a symlink between
    # a file and a FIFO as fast as it can while another opens it for reading again and again; a
    # FIFO's read end opened O_NONBLOCK returns at once, so every open must return at once.
    It 'never blocks in open(2) when a FIFO is swapped in for a regular file' {
        $fifo = New-Fifo (Join-Path $TestDrive 'swap.fifo')
        $plain = Join-Path $TestDrive 'swap.txt'
        Set-Content -LiteralPath $plain -Value 'plain'
        $link = Join-Path $TestDrive 'swap.link'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $plain
        $state = [hashtable]::Synchronized(@{ Stop = $false })
        $flipper = [powershell]::Create().AddScript({
                param($link, $fifo, $plain, $state)
                $next = "$link.next"
                while (-not $state.Stop) {
                    foreach ($target in $fifo, $plain) {
                        $null = [IO.File]::CreateSymbolicLink($next, $target)
                        [IO.File]::Move($next, $link, $true)
                    }
                }
            }).AddArgument($link).AddArgument($fifo).AddArgument($plain).AddArgument($state)
        $opener = (New-ModuleShell).AddScript({
                param($link, $state)
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $kinds = @{}
                while ($clock.Elapsed.TotalSeconds -lt 4 -and -not $state.Stop) {
                    $descriptor = Open-SpliceDescriptor -LiteralPath $link -Access Read -ErrorAction SilentlyContinue
                    if ($descriptor) { $kinds[[string]$descriptor.Kind]++; $descriptor.Close() }
                }
                $kinds
            }).AddArgument($link).AddArgument($state)
        $flipping = $flipper.BeginInvoke()
        $opening = $opener.BeginInvoke()
        try {
            $finished = $opening.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(15))
        }
        finally {
            $state.Stop = $true
            if (-not $opening.IsCompleted) {
                # Release an open(2) that waits for a writer, so that the runspace can end.
                $writer = Open-SpliceDescriptor -LiteralPath $fifo -Access Write -NonBlocking -ErrorAction SilentlyContinue
                $null = $opening.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10))
                $writer | Close-SpliceDescriptor
            }
            $null = $flipping.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10))
            $kinds = if ($opening.IsCompleted) { $opener.EndInvoke($opening) | Select-Object -First 1 }
            $opener.Dispose(); $flipper.Dispose()
        }
        $finished | Should -BeTrue -Because 'opening a FIFO for reading must never wait for a writer'
        $kinds.Fifo | Should -BeGreaterThan 0
        $kinds.File | Should -BeGreaterThan 0
    }

    It 'waits for another process to release its lease on a file (open(2) with O_NONBLOCK gives EAGAIN)' -Skip:(-not (Get-Command python3 -ErrorAction Ignore)) {
        $leased = Join-Path $TestDrive 'leased.txt'
        Set-Content -LiteralPath $leased -Value 'leased'
        $ready = Join-Path $TestDrive 'lease.ready'
        # Holds a read lease and lets go when the kernel tells it (SIGIO) that someone opens for writing.
        $script = Join-Path $TestDrive 'lease.py'
        Set-Content -LiteralPath $script -Value @'
import fcntl, os, signal, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
def release(*_):
    time.sleep(0.3)
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    os._exit(0)
signal.signal(signal.SIGIO, release)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
open(sys.argv[2], 'w').close()
time.sleep(30)
'@
        $holder = Start-Process python3 -PassThru -ArgumentList $script, $leased, $ready
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (-not (Test-Path -LiteralPath $ready) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            Test-Path -LiteralPath $ready | Should -BeTrue
            $descriptor = Open-SpliceDescriptor -LiteralPath $leased -Access Write -TimeoutSec 10 -ErrorAction Stop
            try { $descriptor.Kind | Should -Be 'File' } finally { $descriptor.Close() }
            $holder.WaitForExit(10000) | Should -BeTrue
        }
        finally { if (-not $holder.HasExited) { $holder.Kill() } }
    }

    It 'waits for a FIFO reader with -Access <Access> (-Create: <Create>) and stops within a second' -TestCases @(
        @{ Access = 'Write'; Create = $false }
        @{ Access = 'Write'; Create = $true }
        @{ Access = 'Append'; Create = $false }
    ) {
        $fifo = New-Fifo (Join-Path $TestDrive "stop-$Access-$Create.fifo")
        $ps = New-ModuleShell
        try {
            $null = $ps.AddCommand('Open-SpliceDescriptor').AddParameter('LiteralPath', $fifo).AddParameter('Access', $Access).AddParameter('Create', [switch]$Create)
            $async = $ps.BeginInvoke()
            Start-Sleep -Milliseconds 700
            $async.IsCompleted | Should -BeFalse -Because 'there is no reader to wait for'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $stopping = $ps.BeginStop($null, $null)
            $stopping.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10)) | Should -BeTrue
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 1
        }
        finally { $ps.Dispose() }
        & stat -c %F $fifo | Should -Be 'fifo'
    }

    It 'leaves a <Kind> in O_NONBLOCK mode only with -NonBlocking' -TestCases @(
        @{ Kind = 'File' }
        @{ Kind = 'Fifo' }
    ) {
        $path = if ($Kind -eq 'Fifo') { New-Fifo (Join-Path $TestDrive 'mode.fifo') } else { $file }
        foreach ($nonBlocking in $false, $true) {
            $descriptor = Open-SpliceDescriptor -LiteralPath $path -NonBlocking:$nonBlocking
            try {
                $descriptor.Kind | Should -Be $Kind
                $octal = (Get-Content "/proc/$PID/fdinfo/$($descriptor.Fd)" | Where-Object { $_ -like 'flags:*' }) -replace '^flags:\s*', ''
                ([Convert]::ToInt32($octal, 8) -band 0x800) -ne 0 | Should -Be $nonBlocking
            }
            finally { $descriptor.Close() }
        }
        if ($Kind -eq 'Fifo') { Remove-Item -LiteralPath $path }
    }

    It 'opens a FIFO for ReadWrite at once' {
        $fifo = New-Fifo (Join-Path $TestDrive 'readwrite.fifo')
        $run = Invoke-Bounded { param($fifo) $d = Open-SpliceDescriptor -LiteralPath $fifo -Access ReadWrite; try { $d.Kind } finally { $d.Close() } } @($fifo) -TimeoutSec 10
        $run.Output | Should -Be 'Fifo'
    }

    It 'refuses a FIFO without a reader at once with -NonBlocking (NoReader)' {
        $fifo = New-Fifo (Join-Path $TestDrive 'noreader.fifo')
        { Open-SpliceDescriptor -LiteralPath $fifo -Access Write -NonBlocking -ErrorAction Stop } | Should -Throw -ErrorId "NoReader,$Id"
    }

    It 'gives up waiting for a FIFO reader after -TimeoutSec (Timeout)' {
        $fifo = New-Fifo (Join-Path $TestDrive 'timeout.fifo')
        { Open-SpliceDescriptor -LiteralPath $fifo -Access Write -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -ErrorId "Timeout,$Id"
    }

    It 'returns within a second of Ctrl+C while waiting for a FIFO reader' {
        $fifo = New-Fifo (Join-Path $TestDrive 'ctrlc.fifo')
        $elapsed = Measure-Stop { param($fifo) Open-SpliceDescriptor -LiteralPath $fifo -Access Write } $fifo
        $elapsed.TotalSeconds | Should -BeLessThan 1
    }

    It 'reports <Case> as <ErrorId>' -TestCases @(
        @{ Case = 'a missing literal path'; ErrorId = 'PathNotFound'; Arguments = { @{ LiteralPath = (Join-Path $TestDrive 'missing.txt') } } }
        @{ Case = 'a missing path without -Create'; ErrorId = 'PathNotFound'; Arguments = { @{ Path = (Join-Path $TestDrive 'missing.txt'); Access = 'Write' } } }
        @{ Case = 'a directory'; ErrorId = 'PathIsDirectory'; Arguments = { @{ LiteralPath = $TestDrive } } }
        @{ Case = 'a directory opened for Write'; ErrorId = 'PathIsDirectory'; Arguments = { @{ LiteralPath = $TestDrive; Access = 'Write' } } }
        @{ Case = 'a directory opened with -Create'; ErrorId = 'PathIsDirectory'; Arguments = { @{ LiteralPath = $TestDrive; Access = 'Append'; Create = $true } } }
        @{ Case = 'a path on another provider'; ErrorId = 'NotFileSystemPath'; Arguments = { @{ LiteralPath = 'Env:PATH' } } }
    ) {
        $splat = & $Arguments
        { Open-SpliceDescriptor @splat -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,$Id"
    }

    # open(2) says EISDIR for O_CREAT on any "name/", as if a directory stood there.
    It 'reports a missing name/ opened with -Create as PathNotFound, and a file/ as ENOTDIR, making nothing' {
        $missing = Join-Path $TestDrive 'no-such-dir'
        { Open-SpliceDescriptor -LiteralPath "$missing/" -Access Write -Create -ErrorAction Stop } | Should -Throw -ErrorId "PathNotFound,$Id"
        Test-Path -LiteralPath $missing | Should -BeFalse
        $file = Join-Path $TestDrive 'plain-file'
        Set-Content -LiteralPath $file -Value 'kept'
        { Open-SpliceDescriptor -LiteralPath "$file/" -Access Write -Create -ErrorAction Stop } | Should -Throw '*ENOTDIR*' -ErrorId "SystemCallFailed,$Id"
        Get-Content -LiteralPath $file | Should -Be 'kept'
    }

    It 'reports <Case> as <ErrorId> for that path and still opens the others' -TestCases @(
        @{ Case = 'an unknown drive'; ErrorId = 'DriveNotFound'; Bad = 'nodrive:/x'; Parameter = 'LiteralPath' }
        @{ Case = 'an unknown drive in -Path'; ErrorId = 'DriveNotFound'; Bad = 'nodrive:/x'; Parameter = 'Path' }
        @{ Case = 'an unknown provider'; ErrorId = 'ProviderNotFound'; Bad = 'Nope::/x'; Parameter = 'LiteralPath' }
    ) {
        $splat = @{ $Parameter = @($Bad, '/dev/null') }
        $opened = Open-SpliceDescriptor @splat -ErrorVariable failed -ErrorAction SilentlyContinue
        try {
            @($opened).Count | Should -Be 1
            $opened.Path | Should -Be '/dev/null'
            $failed.FullyQualifiedErrorId | Should -Be "$ErrorId,$Id"
            $failed[0].TargetObject | Should -Be $Bad
        }
        finally { $opened | Close-SpliceDescriptor }
    }

    # open(2) reads a C string: everything after a NUL would be dropped, and another file opened
    # (and, for Write, truncated) than the one named.
    It 'refuses a path with a NUL character (<Parameter>) with InvalidPath, leaving the file it starts with alone' -TestCases @(
        @{ Parameter = 'Path' }
        @{ Parameter = 'LiteralPath' }
    ) {
        $victim = Join-Path $TestDrive 'victim.txt'
        Set-Content -LiteralPath $victim -Value 'keep me' -NoNewline
        $splat = @{ $Parameter = "$victim`0.new"; Access = 'Write'; Create = $true }
        $failure = { Open-SpliceDescriptor @splat -ErrorAction Stop } | Should -Throw -ErrorId "InvalidPath,$Id" -PassThru
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-Content -Raw -LiteralPath $victim | Should -BeExactly 'keep me'
    }

    It 'is silent for a wildcard that matches nothing' {
        Open-SpliceDescriptor -Path (Join-Path $TestDrive 'nothing*.bin') -ErrorVariable failed | Should -BeNullOrEmpty
        $failed | Should -BeNullOrEmpty
    }

    It 'creates nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.txt'
        (Invoke-WhatIf { param($p) Open-SpliceDescriptor -LiteralPath $p -Access Write -Create -WhatIf } $path).Output | Should -BeNullOrEmpty
        Test-Path $path | Should -BeFalse
    }

    It 'opens nothing for reading with -WhatIf: a FIFO''s writer is not let through' {
        $fifo = New-Fifo (Join-Path $TestDrive 'whatif.fifo')
        $run = Invoke-WhatIf { param($p) Open-SpliceDescriptor -LiteralPath $p -WhatIf; Get-Item -LiteralPath $p | Open-SpliceDescriptor -WhatIf } $fifo
        $run.Output | Should -BeNullOrEmpty
        # Nobody holds the read end, so a writer that will not wait finds no reader (ENXIO).
        (Open-SpliceDescriptor -LiteralPath $fifo -Access Write -NonBlocking -ErrorAction SilentlyContinue -ErrorVariable failed) | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -Be "NoReader,$Id"
    }
}

Describe 'Open-SpliceDescriptor by URI' {
    It 'connects to nothing and listens nowhere with -WhatIf' {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            (Invoke-WhatIf { param($u) Open-SpliceDescriptor -Uri $u -WhatIf } "tcp://127.0.0.1:$port").Output | Should -BeNullOrEmpty
            Start-Sleep -Milliseconds 100
            $listener.Pending() | Should -BeFalse -Because '-WhatIf must not connect'
        }
        finally { $listener.Stop() }
        $free = Get-FreeTcpPort
        (Invoke-WhatIf { param($u) Open-SpliceDescriptor -Uri $u -Listen -WhatIf } "tcp://127.0.0.1:$free").Output | Should -BeNullOrEmpty
        $unix = Join-Path $TestDrive 'whatif.sock'
        (Invoke-WhatIf { param($u) Open-SpliceDescriptor -Uri $u -Listen -WhatIf } "unix://$unix").Output | Should -BeNullOrEmpty
        Test-Path -LiteralPath $unix | Should -BeFalse
    }

    It 'connects to a listening TCP descriptor on loopback' {
        $uri = "tcp://127.0.0.1:$(Get-FreeTcpPort)"
        $peer = Start-Peer { param($uri) $server = Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 20; try { Start-Sleep -Milliseconds 300; $server.Kind } finally { $server.Close() } } $uri
        $client = Connect-Peer $uri
        try {
            $client.Kind | Should -Be 'Socket'
            $client.Access | Should -Be 'ReadWrite'
            $client.Path | Should -Be $uri
        }
        finally { $client.Close() }
        Wait-Peer $peer | Should -Be 'Socket'
    }

    It 'listens on a Unix-domain socket path and removes the socket file after the one peer is in' {
        $socketPath = Join-Path $TestDrive 'listen.sock'
        $peer = Start-Peer { param($uri) $server = Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 20; try { Start-Sleep -Milliseconds 300 } finally { $server.Close() } } "unix://$socketPath"
        $client = Connect-Peer "unix://$socketPath"
        try { $client.Kind | Should -Be 'Socket' } finally { $client.Close() }
        Wait-Peer $peer
        Test-Path $socketPath | Should -BeFalse
    }

    It 'leaves a file that took the socket''s name alone: only its own socket file is removed' {
        $dir = Join-Path $TestDrive 'shared-listen'
        New-Item -ItemType Directory $dir | Out-Null
        $socketPath = Join-Path $dir 'l.sock'
        $peer = Start-Peer { param($uri) $server = Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 20; try { Start-Sleep -Milliseconds 300 } finally { $server.Close() } } "unix://$socketPath"
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while (-not (Test-Path -LiteralPath $socketPath) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        # Another user of the directory moves the socket away and puts a file of theirs at its name.
        Move-Item -LiteralPath $socketPath -Destination "$dir/moved.sock"
        Set-Content -LiteralPath $socketPath -Value 'not the listener''s'
        $client = Connect-Peer "unix://$dir/moved.sock"
        try { $client.Kind | Should -Be 'Socket' } finally { $client.Close() }
        Wait-Peer $peer
        Get-Content -LiteralPath $socketPath | Should -Be 'not the listener''s'
    }

    It 'refuses a socket file given as a path (PathIsSocket)' {
        $socketPath = Join-Path $TestDrive 'file.sock'
        $listener = [Net.Sockets.Socket]::new('Unix', 'Stream', 'Unspecified')
        try {
            $listener.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($socketPath))
            { Open-SpliceDescriptor -LiteralPath $socketPath -ErrorAction Stop } | Should -Throw -ErrorId "PathIsSocket,$Id"
            { Open-SpliceDescriptor -LiteralPath $socketPath -Access Write -ErrorAction Stop } | Should -Throw -ErrorId "PathIsSocket,$Id"
        }
        finally { $listener.Dispose() }
    }

    It 'reports a missing Unix socket, and listening where a file exists or in a missing directory, as ConnectionFailed with the path' {
        $missing = Join-Path $TestDrive 'missing.sock'
        $failure = { Open-SpliceDescriptor -Uri "unix://$missing" -TimeoutSec 5 -ErrorAction Stop } | Should -Throw -ErrorId "ConnectionFailed,$Id" -PassThru
        $failure.Exception.Message | Should -BeLike "No socket file exists at '$missing'*"
        $taken = Join-Path $TestDrive 'taken.sock'
        Set-Content -LiteralPath $taken -Value 'a file'
        $failure = { Open-SpliceDescriptor -Uri "unix://$taken" -Listen -TimeoutSec 5 -ErrorAction Stop } | Should -Throw -ErrorId "ConnectionFailed,$Id" -PassThru
        $failure.Exception.Message | Should -BeLike "Cannot listen at '$taken': something already exists there*"
        Get-Content -LiteralPath $taken | Should -Be 'a file'
        $nowhere = Join-Path $TestDrive 'no-such-dir/listen.sock'
        $failure = { Open-SpliceDescriptor -Uri "unix://$nowhere" -Listen -TimeoutSec 5 -ErrorAction Stop } | Should -Throw -ErrorId "ConnectionFailed,$Id" -PassThru
        $failure.Exception.Message | Should -BeLike "Cannot listen at '$nowhere': the directory '$(Split-Path $nowhere)' does not exist*"
    }

    It 'reports a refused connection as ConnectionFailed' {
        { Open-SpliceDescriptor -Uri "tcp://127.0.0.1:$(Get-FreeTcpPort)" -TimeoutSec 5 -ErrorAction Stop } | Should -Throw -ErrorId "ConnectionFailed,$Id"
    }

    It 'refuses <Uri> as UnsupportedUri' -TestCases @(
        @{ Uri = 'http://127.0.0.1:80/' }
        @{ Uri = 'tcp://127.0.0.1' }
        @{ Uri = 'unix://relative' }
        @{ Uri = 'unix:' }
        @{ Uri = 'unix:///' }
        @{ Uri = 'unix:///tmp/a%00b' }
        @{ Uri = 'plain.sock' }
        @{ Uri = '/tmp/plain.sock' }
    ) {
        { Open-SpliceDescriptor -Uri $Uri -ErrorAction Stop } | Should -Throw -ErrorId "UnsupportedUri,$Id"
    }

    It 'refuses to listen on a TCP port another listener holds, even one that allows sharing it (ConnectionFailed)' {
        # .NET's ReuseAddress sets SO_REUSEPORT too: a second such listener would share the port and
        # take half of its connections.
        $other = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::InterNetwork, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Tcp)
        try {
            $other.SetSocketOption([Net.Sockets.SocketOptionLevel]::Socket, [Net.Sockets.SocketOptionName]::ReuseAddress, $true)
            $other.Bind([Net.IPEndPoint]::new([Net.IPAddress]::Loopback, 0))
            $other.Listen(1)
            $failure = { Open-SpliceDescriptor -Uri "tcp://127.0.0.1:$($other.LocalEndPoint.Port)" -Listen -TimeoutSec 3 -ErrorAction Stop } | Should -Throw -ErrorId "ConnectionFailed,$Id" -PassThru
            $failure.Exception.Message | Should -BeLike '*in use*'
        }
        finally { $other.Dispose() }
    }

    It 'gives up listening after -TimeoutSec when nobody connects (Timeout)' {
        { Open-SpliceDescriptor -Uri "tcp://127.0.0.1:$(Get-FreeTcpPort)" -Listen -TimeoutSec 1 -ErrorAction Stop } | Should -Throw -ErrorId "Timeout,$Id"
    }

    It 'returns within a second of Ctrl+C while listening' {
        $elapsed = Measure-Stop { param($uri) Open-SpliceDescriptor -Uri $uri -Listen } "tcp://127.0.0.1:$(Get-FreeTcpPort)"
        $elapsed.TotalSeconds | Should -BeLessThan 1
    }
}

Describe 'Open-SpliceDescriptor with a relative unix: URI' {
    # PowerShell's location, not the process's working directory: Set-Location changes only the first.
    BeforeAll {
        $script:dir = Join-Path $TestDrive 'here'
        $null = New-Item -ItemType Directory -Path (Join-Path $dir 'sub')
        [Environment]::CurrentDirectory | Should -Not -Be $dir
    }

    It 'connects to <Uri> relative to the current location' -TestCases @(
        @{ Uri = 'unix:rel.sock' }
        @{ Uri = 'unix:./rel.sock' }
        @{ Uri = 'unix:sub/../rel.sock' }
        @{ Uri = 'unix:TestDrive:/here/rel.sock' }
    ) {
        $socketPath = Join-Path $dir 'rel.sock'
        $listener = [Net.Sockets.Socket]::new('Unix', 'Stream', 'Unspecified')
        try {
            $listener.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($socketPath))
            $listener.Listen(1)
            Push-Location -LiteralPath $dir
            try { $client = Open-SpliceDescriptor -Uri $Uri -TimeoutSec 5 -ErrorAction Stop }
            finally { Pop-Location }
            try {
                $client.Kind | Should -Be 'Socket'
                $client.Path | Should -Be "unix://$socketPath"
            }
            finally { $client.Close() }
        }
        finally { $listener.Dispose(); Remove-Item -LiteralPath $socketPath -ErrorAction Ignore }
    }

    It 'listens on unix:rel.sock in the current location of the runspace that listens' {
        $socketPath = Join-Path $dir 'listen-rel.sock'
        $peer = Start-Peer { param($dir) Set-Location -LiteralPath $dir; $server = Open-SpliceDescriptor -Uri unix:listen-rel.sock -Listen -TimeoutSec 10; try { $server.Path } finally { $server.Close() } } $dir
        $client = Connect-Peer "unix://$socketPath" -TimeoutSec 10
        $client.Close()
        Wait-Peer $peer | Should -Be "unix://$socketPath"
        Test-Path -LiteralPath $socketPath | Should -BeFalse
    }

    It 'reports a relative URI while the location is on another provider as NotFileSystemPath' {
        Push-Location Env:
        try { { Open-SpliceDescriptor -Uri unix:rel.sock -ErrorAction Stop } | Should -Throw -ErrorId "NotFileSystemPath,$Id" }
        finally { Pop-Location }
    }
}

Describe 'Open-SpliceDescriptor with a Unix socket path too long for the kernel' {
    # sun_path holds 108 bytes including the terminating NUL: at most 107 bytes of UTF-8.
    It 'refuses <Case> with SocketPathTooLong' -TestCases @(
        @{ Case = 'a long path to connect to'; Name = 's' * 120; Listen = $false }
        @{ Case = 'a long path to listen on'; Name = 's' * 120; Listen = $true }
        @{ Case = 'a path of fewer than 108 characters but more bytes'; Name = [string]::new([char]0xE9, 50); Listen = $false }
    ) {
        $socketPath = Join-Path $TestDrive $Name
        $bytes = [Text.Encoding]::UTF8.GetByteCount($socketPath)
        $bytes | Should -BeGreaterThan 107
        $failure = { Open-SpliceDescriptor -Uri ([uri]"unix://$socketPath") -Listen:$Listen -TimeoutSec 2 -ErrorAction Stop } | Should -Throw -ErrorId "SocketPathTooLong,$Id" -PassThru
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failure.Exception.Message | Should -Match "$bytes bytes"
        $failure.Exception.Message | Should -Match '107'
        Test-Path -LiteralPath $socketPath | Should -BeFalse
    }

    It 'counts a relative path as the absolute path it resolves to' {
        $long = Join-Path $TestDrive ('d' * 70)
        $null = New-Item -ItemType Directory -Path $long
        Push-Location -LiteralPath $long
        try { { Open-SpliceDescriptor -Uri ([uri]"unix:$('r' * 60)") -TimeoutSec 2 -ErrorAction Stop } | Should -Throw -ErrorId "SocketPathTooLong,$Id" }
        finally { Pop-Location }
    }

    It 'takes a path of exactly 107 bytes (nothing listens there: ConnectionFailed)' {
        $prefix = "$TestDrive/"
        $socketPath = $prefix + ('x' * (107 - [Text.Encoding]::UTF8.GetByteCount($prefix)))
        { Open-SpliceDescriptor -Uri ([uri]"unix://$socketPath") -TimeoutSec 2 -ErrorAction Stop } | Should -Throw -ErrorId "ConnectionFailed,$Id"
    }
}

Describe 'Pipeline cmdlets where the kernel calls are not available' {
    It 'fail with PlatformNotSupported' {
        $script = @'
Import-Module $env:SPLICEMODULE_TEST_MODULE
$pipe = [pscustomobject]@{}   # no KernelPipe can exist here; piped input binds after BeginProcessing
foreach ($call in { Open-SpliceDescriptor -LiteralPath /dev/null }, { Invoke-Splice -Source $pipe -Destination $pipe },
                  { Invoke-Tee -LiteralPath /dev/null -Destination /dev/null }, { 'x' | Write-VmSplice -Destination /dev/null }, { $pipe | Read-KernelPipe }) {
    try { & $call 2>$null; 'no error' } catch { $_.FullyQualifiedErrorId }
}
'@
        $ids = (Invoke-FreshPwsh -Script $script -Environment @{ SPLICEMODULE_DISABLE_KERNEL = '1' }).Lines
        $ids | Should -HaveCount 5
        $ids | ForEach-Object { $_ | Should -BeLike 'PlatformNotSupported,SpliceModule.Commands.*' }
    }
}

Describe 'Open-SpliceDescriptor descriptors' {
    It 'leaves the count in /proc/self/fd unchanged' {
        Get-OpenFdCount | Should -Be $FdBaseline
    }
}
