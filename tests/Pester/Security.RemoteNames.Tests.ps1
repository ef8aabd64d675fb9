# Attacks by a hostile far host on root's Copy-SpliceItem -FromSession: the far host chooses the
# name it announces for what it sends (the file's or tree's header), or what a -Path pattern
# matched there. The name decides where the item lands in the destination directory, so a far
# host that could choose it would write `.bashrc` or a tree `.ssh` (an authorized_keys inside)
# into root's home. The hostile host is a real one (Support/RemoteHosts.psm1) whose session has
# SpliceModule's far-side agents replaced by ones that lie about the name (a type accelerator of
# the agents' names, which the far scripts then resolve), and Get-Item by a function that answers
# a pattern with `.ssh`. Nothing in the destination may change, and each lie is
# RemoteNameMismatch; the twin (the same copies without the lies) copies. And a far host that
# sends a device node (a world-writable node of a disk): it is not made here without
# -Preserve Ownership (RemoteDeviceNode), as rsync makes devices only with -D; the twin with
# -Preserve All makes it.
BeforeDiscovery {
    # $far stands for the far host's directory in each command line.
    $script:Lies = @(
        @{ What = 'a file announced as .bashrc'; Copy = 'Copy-SpliceItem -Path "$far/app.log"'; Name = '.bashrc'; Answer = ''; Unmade = 'app.log' }
        @{ What = 'a tree announced as .ssh'; Copy = 'Copy-SpliceItem -Recurse -Path "$far/logs"'; Name = '.ssh'; Answer = ''; Unmade = 'logs' }
        @{ What = 'a pattern answered with .ssh'; Copy = 'Copy-SpliceItem -Recurse -Path "$far/*.log"'; Name = ''; Answer = 'far/.ssh'; Unmade = 'app.log' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    $script:SkipReason = Get-RemoteHostSkipReason
    $script:Remote = $null
    if (-not $SkipReason) { $script:Remote = Start-RemoteHost -Label nam }
    $script:Id = ',SpliceModule.Commands.CopySpliceItemCommand'

    # The far host's content: a log file, a directory of logs and a `.ssh` of its own choosing.
    function New-FarContent {
        Reset-RemoteHost $Remote
        $far = New-Item -ItemType Directory -Path (Join-Path $Remote.Root 'far') -Force
        Set-Content -LiteralPath "$far/app.log" -Value 'echo HOSTILE BASHRC'
        New-Item -ItemType Directory -Path "$far/logs", "$far/.ssh" | Out-Null
        Set-Content -LiteralPath "$far/logs/authorized_keys" -Value 'ssh-ed25519 HOSTILE'
        Set-Content -LiteralPath "$far/.ssh/authorized_keys" -Value 'ssh-ed25519 HOSTILE'
        $far.FullName
    }

    # Root's home here, with files the far host must not reach.
    function New-Home([string] $Name) {
        $dir = New-Item -ItemType Directory -Path (Join-Path $TestDrive $Name)
        New-Item -ItemType Directory -Path "$dir/.ssh" | Out-Null
        Set-Content -LiteralPath "$dir/.bashrc" -Value 'echo GOOD BASHRC'
        Set-Content -LiteralPath "$dir/.ssh/authorized_keys" -Value 'ssh-ed25519 GOOD'
        $dir.FullName
    }

    # Runs in the far session before the copies: the agents' names now resolve to liars that
    # announce $Name (the real agents do the work), and Get-Item answers every pattern with $Answer.
    $script:Liar = @'
param([string] $Name, [string] $Answer)
$global:RealFileAgent = [SpliceModule.Commands.RemoteAgent]
$global:RealTreeAgent = [SpliceModule.Commands.RemoteTreeAgent]
$global:LieName = $Name
class LyingAgent {
    hidden [object] $Real
    [object] $Ready
    [bool] $ThroughSession
    [bool] $IsTree
    LyingAgent([object] $real) {
        $this.Real = $real
        $this.ThroughSession = $real.ThroughSession
        $this.IsTree = $real.PSObject.Properties['IsTree'] -and $real.IsTree
        $this.Ready = $real.Ready
        if ($global:LieName -and $real.Ready -is [string] -and $real.Ready.StartsWith('{')) {
            $header = $real.Ready | ConvertFrom-Json
            $header.Name = $global:LieName
            $this.Ready = $header | ConvertTo-Json -Compress -Depth 5
        }
    }
    [object] Chunks() { return $this.Real.Chunks() }
    [object] Finishing() { return $this.Real.Finishing() }
    [void] Dispose() { $this.Real.Dispose() }
}
class LyingFileAgent { static [LyingAgent] Send([string] $path, [string] $options) { return [LyingAgent]::new($global:RealFileAgent::Send($path, $options)) } }
class LyingTreeAgent { static [LyingAgent] Send([string] $path, [string] $options) { return [LyingAgent]::new($global:RealTreeAgent::Send($path, $options)) } }
$accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')
$accelerators::Add('SpliceModule.Commands.RemoteAgent', [LyingFileAgent])
$accelerators::Add('SpliceModule.Commands.RemoteTreeAgent', [LyingTreeAgent])
if ($Answer) {
    $global:LieAnswer = $Answer
    function global:Get-Item { [pscustomobject]@{ FullName = $global:LieAnswer } }
}
'@

    # Copies with $Copy (a command line where $far is the far host's directory) into a new home,
    # after the lies unless -Honest; returns the errors' ids and what the home holds.
    function Invoke-Hostile([string] $Copy, [string] $Name = '', [string] $Answer = '', [switch] $Honest) {
        $far = New-FarContent
        $into = New-Home "home-$([guid]::NewGuid().ToString('N'))"
        $Copy = $Copy.Replace('$far', $far)
        $lie = if ($Honest) { '' } else { "Invoke-Command -Session `$session -ScriptBlock ([scriptblock]::Create(@'`n$Liar`n'@)) -ArgumentList '$Name', '$Answer'" }
        $run = New-RemoteSessionRun $Remote @"
# A first copy brings the module over and loads it on the far host (the liars wrap its agents).
Copy-SpliceItem -FromSession `$session -Path '$far/app.log' -Destination '$into/first.log' -ErrorAction Stop
$lie
$Copy -FromSession `$session -Destination '$into' -ErrorVariable failed -ErrorAction SilentlyContinue
@(`$failed | ForEach-Object FullyQualifiedErrorId)
"@
        $ids = Invoke-FreshPwsh -Json -TimeoutSeconds 120 @run
        [pscustomobject]@{
            Ids = @($ids)
            Bashrc = Get-Content -Raw -LiteralPath "$into/.bashrc"
            Keys = Get-Content -Raw -LiteralPath "$into/.ssh/authorized_keys"
            Items = @(Get-ChildItem -LiteralPath $into -Force -Recurse -Name | Sort-Object)
        }
    }
}

AfterAll {
    Stop-RemoteHost $Remote
}

Describe 'A far host that lies about the name of what it sends (-FromSession, as root)' {
    It '<What> is RemoteNameMismatch, and root''s .bashrc and .ssh are untouched' -ForEach $Lies {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $result = Invoke-Hostile $Copy -Name $Name -Answer $(if ($Answer) { "$($Remote.Root)/$Answer" } else { '' })
        $result.Bashrc | Should -Be "echo GOOD BASHRC`n" -Because 'the far host must not choose the name a file gets here'
        $result.Keys | Should -Be "ssh-ed25519 GOOD`n" -Because 'the far host must not choose the directory a tree is written into here'
        $result.Ids | Should -Be @("RemoteNameMismatch$Id")
        $result.Items | Should -Not -Contain $Unmade
    }

    It 'twin: the same copies from an honest far host land under their own names' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $file = Invoke-Hostile 'Copy-SpliceItem -Path "$far/app.log"' -Honest
        $file.Ids | Should -BeNullOrEmpty
        $file.Items | Should -Contain 'app.log'
        $tree = Invoke-Hostile 'Copy-SpliceItem -Recurse -Path "$far/logs"' -Honest
        $tree.Ids | Should -BeNullOrEmpty
        $tree.Items | Should -Contain 'logs/authorized_keys'
        $pattern = Invoke-Hostile 'Copy-SpliceItem -Recurse -Path "$far/*.log"' -Honest
        $pattern.Ids | Should -BeNullOrEmpty
        $pattern.Items | Should -Contain 'app.log'
        foreach ($one in $file, $tree, $pattern) { $one.Keys | Should -Be "ssh-ed25519 GOOD`n"; $one.Bashrc | Should -Be "echo GOOD BASHRC`n" }
    }
}

Describe 'A far host that sends a world-writable device node in a tree (-FromSession, as root)' {
    BeforeEach {
        if ($SkipReason) { return }
        $far = Join-Path (New-FarContent) 'devtree'
        New-Item -ItemType Directory -Path $far | Out-Null
        Set-Content -LiteralPath "$far/a.txt" -Value 'a'
        mknod -m 666 -- "$far/disk" b 7 0
        mkfifo -m 644 -- "$far/pipe"
        $script:FarTree = $far
        $script:Into = New-Item -ItemType Directory -Path (Join-Path $TestDrive "dev-$([guid]::NewGuid().ToString('N'))")
    }

    It 'is not made without -Preserve Ownership (RemoteDeviceNode); the rest of the tree is' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $run = New-RemoteSessionRun $Remote @"
Copy-SpliceItem -FromSession `$session -Recurse -Path '$FarTree' -Destination '$Into' -ErrorVariable failed -ErrorAction SilentlyContinue
@(`$failed | ForEach-Object FullyQualifiedErrorId)
"@
        $ids = Invoke-FreshPwsh -Json -TimeoutSeconds 120 @run
        Test-Path -LiteralPath "$Into/devtree/disk" | Should -BeFalse -Because 'root must not make a world-writable disk node that a far host asked for'
        @($ids) | Should -Be @("RemoteDeviceNode$Id")
        Get-Content -LiteralPath "$Into/devtree/a.txt" | Should -Be 'a'
        stat -c '%F' -- "$Into/devtree/pipe" | Should -Be 'fifo'
    }

    It 'twin: with -Preserve All (trusting the far host, as rsync -a) it is made' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $run = New-RemoteSessionRun $Remote @"
Copy-SpliceItem -FromSession `$session -Recurse -Path '$FarTree' -Destination '$Into' -Preserve All -ErrorVariable failed -ErrorAction SilentlyContinue
@(`$failed | ForEach-Object FullyQualifiedErrorId)
"@
        $ids = Invoke-FreshPwsh -Json -TimeoutSeconds 120 @run
        $ids | Should -BeNullOrEmpty
        stat -c '%F %t:%T' -- "$Into/devtree/disk" | Should -Be 'block special file 7:0'
    }
}
