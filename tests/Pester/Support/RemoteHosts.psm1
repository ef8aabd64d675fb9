<#
.SYNOPSIS
    Real remote hosts on this machine for the remote-copy tests: OpenSSH servers in network
    namespaces, each joined to the root namespace by a veth pair, with a PowerShell SSH subsystem
    that runs the pwsh running the tests.
.DESCRIPTION
    Start-RemoteHost (root only) makes a namespace, a veth pair with a free private /24 of
    10.213.0.0/16 (the root end .1, the host .2), a host key, a client key, an sshd_config that
    allows key login only, and starts sshd inside the namespace. Each host gets its own root
    directory (Root) to copy into: namespaces share the file system, so a test checks what a host
    wrote there. New-RemoteHostSession opens a PSSession to a host with StrictHostKeyChecking off
    for that host's own known-hosts file. Stop-RemoteHost kills sshd and whatever it started
    (the pwsh subsystems: by killing every process in the namespace), deletes the namespace and
    the veth pair and removes the directories; it is safe on $null and twice, so AfterAll can
    call it whatever happened. Reset-RemoteHost puts hosts back between tests (links up and
    unshaped, roots empty), so that a file starts its hosts once and each test finds them as
    new. Names carry a random part so that parallel runs do not collide.

    Get-RemoteHostSkipReason says why these hosts cannot be made here, or $null when they can.
#>
Set-StrictMode -Version Latest

# Where every host sees its own root (a bind mount in sshd's mount namespace); an empty directory here.
$script:SharedRoot = Join-Path ([IO.Path]::GetTempPath()) 'splicemodule-remote-destination'

function Get-RemoteHostSkipReason {
    if ((id -u) -ne '0') { return 'network namespaces and sshd need root' }
    if (-not (Test-Path /usr/sbin/sshd)) { return 'sshd is missing (apt-get install openssh-server; .ci/run does)' }
    if (-not (Get-Command ip -ErrorAction Ignore)) { return 'ip is missing (apt-get install iproute2; .ci/run does)' }
    if (-not (Get-Command ssh-keygen -ErrorAction Ignore)) { return 'ssh-keygen is missing (apt-get install openssh-client)' }
    $null
}

# The pwsh apphost that runs these tests, for the hosts' subsystem.
function Get-SubsystemPwsh {
    $apphost = Join-Path $PSHOME 'pwsh'
    if (-not (Test-Path -LiteralPath $apphost)) { throw "The remote hosts need pwsh's apphost at '$apphost'." }
    $apphost
}

# A /24 of 10.213.0.0/16 that no interface of the root namespace has yet.
function Get-FreeSubnet {
    $used = @(ip -o -4 addr show | Select-String -AllMatches '10\.213\.(\d+)\.' | ForEach-Object { $_.Matches } | ForEach-Object { [int]$_.Groups[1].Value })
    $free = @(1..254 | Where-Object { $_ -notin $used })
    if ($free.Count -eq 0) { throw 'No free /24 in 10.213.0.0/16.' }
    $free | Get-Random
}

function Invoke-Checked {
    param([string] $Command, [string[]] $Arguments)
    $output = & $Command @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "'$Command $($Arguments -join ' ')' failed ($LASTEXITCODE): $output" }
}

function Start-RemoteHost {
    [CmdletBinding()]
    param(
        # A short word for the names (letters only).
        [string] $Label = 'h',
        # Make the host's root a tmpfs of this size (for example 256k), to run a copy out of space.
        [string] $RootSize
    )

    $tag = 'smr' + (-join ((0..4) | ForEach-Object { '{0:x}' -f (Get-Random -Maximum 16) })) + $Label.Substring(0, [Math]::Min(3, $Label.Length))
    $dir = Join-Path ([IO.Path]::GetTempPath()) "splicemodule-remote-$tag"
    $remoteHost = [pscustomobject]@{
        Tag = $tag; Namespace = $tag; Veth = "$tag"; Peer = "${tag}p"; Directory = $dir
        Root = Join-Path $dir 'root'; Address = $null; LocalAddress = $null; KeyFile = Join-Path $dir 'client_key'
        KnownHosts = Join-Path $dir 'known_hosts'; SshdPid = $null; Subnet = $null
        SharedRoot = $script:SharedRoot; RootMounted = $false
    }
    try {
        New-Item -ItemType Directory -Path $dir, $remoteHost.Root | Out-Null
        Invoke-Checked chmod @('700', $dir)
        if ($RootSize) {
            Invoke-Checked mount @('-t', 'tmpfs', '-o', "size=$RootSize", 'tmpfs', $remoteHost.Root)
            $remoteHost.RootMounted = $true
        }
        New-Item -ItemType Directory -Path $script:SharedRoot -Force | Out-Null
        $subnet = Get-FreeSubnet
        $remoteHost.Subnet = $subnet
        $remoteHost.Address = "10.213.$subnet.2"
        $remoteHost.LocalAddress = "10.213.$subnet.1"
        Invoke-Checked ip @('netns', 'add', $remoteHost.Namespace)
        Invoke-Checked ip @('link', 'add', $remoteHost.Veth, 'type', 'veth', 'peer', 'name', $remoteHost.Peer)
        Invoke-Checked ip @('link', 'set', $remoteHost.Peer, 'netns', $remoteHost.Namespace)
        Invoke-Checked ip @('addr', 'add', "$($remoteHost.LocalAddress)/24", 'dev', $remoteHost.Veth)
        Invoke-Checked ip @('link', 'set', $remoteHost.Veth, 'up')
        Invoke-Checked ip @('netns', 'exec', $remoteHost.Namespace, 'ip', 'addr', 'add', "$($remoteHost.Address)/24", 'dev', $remoteHost.Peer)
        Invoke-Checked ip @('netns', 'exec', $remoteHost.Namespace, 'ip', 'link', 'set', $remoteHost.Peer, 'up')
        Invoke-Checked ip @('netns', 'exec', $remoteHost.Namespace, 'ip', 'link', 'set', 'lo', 'up')

        Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', (Join-Path $dir 'host_key'))
        Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', $remoteHost.KeyFile)
        Copy-Item "$($remoteHost.KeyFile).pub" (Join-Path $dir 'authorized_keys')
        # sshd's privilege separation directory (a fresh container may lack it).
        New-Item -ItemType Directory -Path /run/sshd -Force | Out-Null
        $config = Join-Path $dir 'sshd_config'
        @(
            "ListenAddress $($remoteHost.Address)"
            'Port 22'
            "HostKey $(Join-Path $dir 'host_key')"
            "PidFile $(Join-Path $dir 'sshd.pid')"
            "AuthorizedKeysFile $(Join-Path $dir 'authorized_keys')"
            'PubkeyAuthentication yes'
            'PasswordAuthentication no'
            'KbdInteractiveAuthentication no'
            'PermitRootLogin prohibit-password'
            'UsePAM no'
            'StrictModes no'
            "Subsystem powershell $(Get-SubsystemPwsh) -sshs -NoLogo -NoProfile"
            # scp (SFTP since OpenSSH 9) and rsync -e ssh, for the benchmark's comparisons.
            'Subsystem sftp internal-sftp'
        ) | Set-Content -LiteralPath $config
        # sshd runs in a mount namespace of its own where the host's root is also at SharedRoot, so
        # that one -Destination names each host's own directory (a fan-out to several hosts).
        $launch = Join-Path $dir 'launch.sh'
        @(
            'set -e'
            "mount --bind '$($remoteHost.Root)' '$($script:SharedRoot)'"
            "exec /usr/sbin/sshd -D -e -f '$config'"
        ) | Set-Content -LiteralPath $launch
        $sshd = Start-Process -FilePath ip -ArgumentList @('netns', 'exec', $remoteHost.Namespace, 'unshare', '--mount', '--propagation', 'private', 'sh', $launch) -PassThru -RedirectStandardError (Join-Path $dir 'sshd.log')
        $remoteHost.SshdPid = $sshd.Id
        # Wait until sshd listens (it writes its pid file once bound).
        foreach ($try in 1..100) {
            if (Test-Path (Join-Path $dir 'sshd.pid')) { break }
            if ($sshd.HasExited) { throw "sshd exited: $(Get-Content -Raw (Join-Path $dir 'sshd.log'))" }
            Start-Sleep -Milliseconds 100
        }
        if (-not (Test-Path (Join-Path $dir 'sshd.pid'))) { throw "sshd did not start: $(Get-Content -Raw (Join-Path $dir 'sshd.log'))" }
        $remoteHost
    }
    catch {
        Stop-RemoteHost $remoteHost
        throw
    }
}

# ssh options for this host: no prompt about its key, which goes into its own known-hosts file.
function Get-RemoteHostSshOption {
    param([Parameter(Mandatory)] $RemoteHost)
    @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = $RemoteHost.KnownHosts; BatchMode = 'yes'; ConnectTimeout = '10'; LogLevel = 'ERROR' }
}

function New-RemoteHostSession {
    param([Parameter(Mandatory)] $RemoteHost)
    New-PSSession -HostName $RemoteHost.Address -UserName root -KeyFilePath $RemoteHost.KeyFile -Options (Get-RemoteHostSshOption $RemoteHost) -ErrorAction Stop
}

# What Invoke-FreshPwsh needs (splat it) to run $Body in a fresh pwsh that has the built module,
# this module and $session, a PSSession to $RemoteHost, closed afterwards.
function New-RemoteSessionRun {
    param([Parameter(Mandatory)] $RemoteHost, [Parameter(Mandatory)] [string] $Body)
    @{
        Environment = @{ SPLICEMODULE_TEST_MODULE = $env:SPLICEMODULE_TEST_MODULE; SM_HOST = ($RemoteHost | ConvertTo-Json -Compress); NO_COLOR = '1' }
        Script = @"
Import-Module `$env:SPLICEMODULE_TEST_MODULE
Import-Module '$(Join-Path $PSScriptRoot 'RemoteHosts.psm1')'
`$PSStyle.OutputRendering = 'PlainText'
`$ProgressPreference = 'SilentlyContinue'
`$session = New-RemoteHostSession (`$env:SM_HOST | ConvertFrom-Json)
try {
$Body
}
finally { Remove-PSSession `$session }
"@
    }
}

# Slows the link to $RemoteHost both ways with a token bucket (this end's veth shapes what is
# sent to the host, the host's end what comes back); Reset-RemoteHost takes it off.
function Set-RemoteHostRate {
    param([Parameter(Mandatory)] $RemoteHost, [string] $Rate = '16mbit')
    tc qdisc add dev $RemoteHost.Veth root tbf rate $Rate burst 64kbit latency 2s
    ip netns exec $RemoteHost.Namespace tc qdisc add dev $RemoteHost.Peer root tbf rate $Rate burst 64kbit latency 2s
}

# Puts hosts back as every test expects to find them (BeforeEach): links up and unshaped both
# ways, and roots empty; with -Rate, then slows their links (Set-RemoteHostRate). -LinksOnly
# (AfterEach of a test that downs or slows a link) leaves the roots. Safe on $null: a file whose
# hosts could not be made has none.
function Reset-RemoteHost {
    param($RemoteHost, [switch] $LinksOnly, [string] $Rate)
    foreach ($one in @($RemoteHost | Where-Object { $null -ne $_ })) {
        ip link set $one.Veth up 2>$null
        tc qdisc del dev $one.Veth root 2>$null
        ip netns exec $one.Namespace tc qdisc del dev $one.Peer root 2>$null
        if (-not $LinksOnly) { Get-ChildItem -LiteralPath $one.Root -Force | Remove-Item -Recurse -Force }
        if ($Rate) { Set-RemoteHostRate $one $Rate }
    }
    $global:LASTEXITCODE = 0
}

# Arguments for ssh, scp and rsync -e to reach this host the same way.
function Get-RemoteHostSshArgument {
    param([Parameter(Mandatory)] $RemoteHost)
    @('-i', $RemoteHost.KeyFile, '-o', 'StrictHostKeyChecking=no', '-o', "UserKnownHostsFile=$($RemoteHost.KnownHosts)", '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR')
}

# The processes running inside a namespace (sshd, its sessions, the pwsh subsystems they started).
function Get-NamespaceProcessId {
    param([string] $Namespace)
    @(ip netns pids $Namespace 2>$null | Where-Object { $_ -match '^\d+$' } | ForEach-Object { [int]$_ })
}

# The TCP ports listening in the host's namespace other than sshd's (a copy's data listeners).
function Get-RemoteHostListener {
    param([Parameter(Mandatory)] $RemoteHost)
    @(ip netns exec $RemoteHost.Namespace ss -Hltn | Where-Object { $_ -and $_ -notmatch ':22\s' })
}

function Stop-RemoteHost {
    param($RemoteHost)
    if ($null -eq $RemoteHost) { return }
    foreach ($one in @($RemoteHost)) {
        if (Test-Path "/run/netns/$($one.Namespace)") {
            foreach ($id in Get-NamespaceProcessId $one.Namespace) { kill -9 $id 2>$null }
            foreach ($try in 1..50) {
                if (@(Get-NamespaceProcessId $one.Namespace).Count -eq 0) { break }
                Start-Sleep -Milliseconds 100
            }
            ip netns del $one.Namespace 2>$null
        }
        if ($one.SshdPid) { kill -9 $one.SshdPid 2>$null }
        # The root end of the pair goes with the namespace's end; delete it in case it did not.
        if (ip link show $one.Veth 2>$null) { ip link del $one.Veth 2>$null }
        if ($one.RootMounted) { umount $one.Root 2>$null }
        if ($one.Directory -and (Test-Path -LiteralPath $one.Directory)) { Remove-Item -LiteralPath $one.Directory -Recurse -Force -ErrorAction SilentlyContinue }
        $global:LASTEXITCODE = 0
    }
}

Export-ModuleMember -Function Get-RemoteHostSkipReason, Start-RemoteHost, Stop-RemoteHost, New-RemoteHostSession, New-RemoteSessionRun, Set-RemoteHostRate, Reset-RemoteHost, Get-RemoteHostSshOption, Get-RemoteHostSshArgument, Get-NamespaceProcessId, Get-RemoteHostListener
