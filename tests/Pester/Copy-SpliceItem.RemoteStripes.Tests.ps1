# A large file to or from one host goes on several data connections at once (stripes), each with
# its own secret and key: the far side's listener takes exactly one connection per stripe, a
# stripe that fails or is cut short fails the whole copy and leaves nothing, Ctrl+C stops every
# stripe. Real hosts in network namespaces (Support/RemoteHosts.psm1); copies in a fresh pwsh.
BeforeDiscovery {
    $script:Direct = @('Encrypted', 'Plain') | ForEach-Object { @{ Transport = $_ } }
    # Plain is not striped: one connection already runs as fast as its wire, receiving on one core
    # while the other sends (bench/results/NOTES.md).
    $script:Ways = foreach ($t in @{ Transport = 'Encrypted'; Connections = 2 }, @{ Transport = 'Plain'; Connections = 1 }) { foreach ($w in 'ToSession', 'FromSession') { $t + @{ Way = $w } } }
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/TestFiles.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    $script:SkipReason = Get-RemoteHostSkipReason
    $script:Remote = $null
    if (-not $SkipReason) { $script:Remote = Start-RemoteHost -Label st }

    # The stripes a file of this size goes on (the copying host offers one per core, at most four;
    # each carries 32 MiB at least): these tests need two.
    $script:StripeSkip = if ([Environment]::ProcessorCount -lt 2) { 'this machine has one processor, so a copy is not striped' }
    $script:Stripe = 32MB

    # Runs $Body in a fresh pwsh with the built module and $session (warmed up: the module is on
    # the host); $Body sees $HostRoot. Returns what $Body returns, through JSON, or with
    # -Background the running pwsh.
    function Invoke-WithSession([string] $Body, [switch] $Background, [int] $TimeoutSeconds = 180) {
        $script = @"
Import-Module `$env:SPLICEMODULE_TEST_MODULE
`$PSStyle.OutputRendering = 'PlainText'
`$HostRoot = `$env:SM_ROOT
`$session = New-PSSession -HostName `$env:SM_HOST -UserName root -KeyFilePath `$env:SM_KEY -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = `$env:SM_KNOWN; BatchMode = 'yes'; LogLevel = 'ERROR' } -ErrorAction Stop
try {
Copy-SpliceItem -LiteralPath (Join-Path `$env:SPLICEMODULE_TEST_MODULE 'SpliceModule.psd1') -Destination "`$HostRoot/warmup" -ToSession `$session -Transport Session
Remove-Item "`$HostRoot/warmup"
'started'
$Body
}
finally { Remove-PSSession `$session }
"@
        $environment = @{
            SPLICEMODULE_TEST_MODULE = $env:SPLICEMODULE_TEST_MODULE
            SM_HOST = $Remote.Address; SM_KEY = $Remote.KeyFile; SM_KNOWN = $Remote.KnownHosts; SM_ROOT = $Remote.Root
        }
        if ($Background) { return Invoke-FreshPwsh -Background -Script $script -Environment $environment }
        @(Invoke-FreshPwsh -Json -Script $script -TimeoutSeconds $TimeoutSeconds -Environment $environment) | Where-Object { $_ -ne 'started' }
    }

    # TCP ports listening in the host's namespace, other than sshd's.
    function Get-ExtraListener {
        @(ip netns exec $Remote.Namespace ss -Hltn | Where-Object { $_ -and $_ -notmatch ':22\s' })
    }

    # Data connections open between this host and the test host (not the SSH one).
    function Get-DataConnection {
        @(ip netns exec $Remote.Namespace ss -Htn state established | Where-Object { $_ -and $_ -notmatch ':22\s' })
    }
}

AfterAll {
    Stop-RemoteHost $Remote
}

Describe 'Striped remote copies' {
    BeforeEach { Reset-RemoteHost $Remote }

    Describe 'A large remote copy on several connections' {
        It 'copies a large sparse file byte-identical with its holes, verified, both ways (<Transport>)' -TestCases $Direct {
            param($Transport)
            if ($SkipReason -or $StripeSkip) { Set-ItResult -Skipped -Because "$SkipReason$StripeSkip"; return }
            # 80 MiB of data in two extents of a 200 MiB file: the cut between the stripes falls
            # inside the second extent, and the tail is a hole.
            $source = Join-Path $TestDrive "sparse-$Transport.bin"
            truncate -s 200M $source
            dd if=/dev/urandom of=$source bs=1M count=30 conv=notrunc status=none
            dd if=/dev/urandom of=$source bs=1M count=50 seek=100 conv=notrunc status=none
            $back = Join-Path $TestDrive "back-$Transport.bin"
            $far = Join-Path $Remote.Root "sparse-$Transport.bin"
            $result = Invoke-WithSession @"
`$to = Copy-SpliceItem -LiteralPath '$source' -Destination `$HostRoot -ToSession `$session -Transport $Transport -PassThru -Verify
`$from = Copy-SpliceItem -LiteralPath '$far' -Destination '$back' -FromSession `$session -Transport $Transport -PassThru -Verify
@{ To = `$to.BytesCopied; From = `$from.BytesCopied; Sha = @(`$to.Sha256, `$from.Sha256) }
"@
            $result.To | Should -Be 80MB
            $result.From | Should -Be 80MB
            $result.Sha | Should -Be @((Get-Sha $source), (Get-Sha $source)) -Because '-Verify checks what all stripes wrote against the source'
            foreach ($copy in $far, $back) {
                Get-Sha $copy | Should -Be (Get-Sha $source)
                Get-Allocated $copy | Should -BeLessThan 100MB -Because 'the holes stay holes on both hosts'
            }
            Get-ExtraListener | Should -BeNullOrEmpty
        }

        It 'uses <Connections> connection(s) and stops all on Ctrl+C, leaving nothing (<Transport>, <Way>)' -TestCases $Ways {
            param($Transport, $Way, $Connections)
            if ($SkipReason -or $StripeSkip) { Set-ItResult -Skipped -Because "$SkipReason$StripeSkip"; return }
            $source = Join-Path $TestDrive 'large.bin'
            $fetchInto = (New-Item -ItemType Directory -Path (Join-Path $TestDrive "fetch-$Transport-$Way")).FullName
            $local = Join-Path $fetchInto 'fetched.bin'
            if (-not (Test-Path -LiteralPath $source)) { head -c (2 * $Stripe + 12345) /dev/urandom > $source }
            $from = $source
            if ($Way -eq 'FromSession') { $from = Join-Path $Remote.Root 'large.bin'; Copy-Item -LiteralPath $source -Destination $from }
            $copy = if ($Way -eq 'ToSession') { "AddParameter('Destination', `$HostRoot).AddParameter('ToSession', `$session)" } else { "AddParameter('Destination', '$local').AddParameter('FromSession', `$session)" }
            $signal = Join-Path $TestDrive "stop-$Transport-$Way"
            $fresh = $null
            try {
                $fresh = Invoke-WithSession -Background @"
`$shell = [powershell]::Create()
`$null = `$shell.AddScript('Import-Module `$env:SPLICEMODULE_TEST_MODULE').Invoke()
`$shell.Commands.Clear()
`$null = `$shell.AddCommand('Copy-SpliceItem').AddParameter('LiteralPath', '$from').$copy.AddParameter('Transport', '$Transport')
`$running = `$shell.BeginInvoke()
while (-not (Test-Path -LiteralPath '$signal')) { Start-Sleep -Milliseconds 20 }
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$shell.Stop()
"STOPPEDMS=`$(`$watch.ElapsedMilliseconds)"
"STATE=`$(`$shell.InvocationStateInfo.State)"
"@
                # Slow enough, both ways, that the copy is still running when it is stopped.
                tc qdisc add dev $Remote.Veth root tbf rate 40mbit burst 64kbit latency 2s
                ip netns exec $Remote.Namespace tc qdisc add dev $Remote.Peer root tbf rate 40mbit burst 64kbit latency 2s
                $most = 0
                foreach ($try in 1..300) {
                    if ($fresh.Process.HasExited) { throw "The copy ended early: $($fresh.Output.Result) $($fresh.Error.Result)" }
                    $most = [Math]::Max($most, @(Get-DataConnection).Count)
                    if ($most -ge $Connections) { break }
                    Start-Sleep -Milliseconds 100
                }
                # A second connection would be there by now.
                Start-Sleep -Milliseconds 500
                $most = [Math]::Max($most, @(Get-DataConnection).Count)
                $most | Should -Be $Connections -Because 'Encrypted stripes a file of two stripes on two data connections, Plain sends it on one'
                Set-Content -LiteralPath $signal -Value 'stop'
                $run = Stop-FreshPwsh $fresh -WaitSeconds 60
                $fresh = $null
                $run.TimedOut | Should -BeFalse
                $run.Output | Should -Match 'STATE=Stopped'
                [int]($run.Output | Select-String 'STOPPEDMS=(\d+)').Matches[0].Groups[1].Value | Should -BeLessThan 5000 -Because 'the stop does not wait for the far end'
                foreach ($try in 1..300) { if (@(Get-ExtraListener).Count -eq 0 -and @(Get-DataConnection).Count -eq 0) { break }; Start-Sleep -Milliseconds 100 }
                Get-ExtraListener | Should -BeNullOrEmpty
                Get-DataConnection | Should -BeNullOrEmpty
                if ($Way -eq 'ToSession') { Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty }
                else { Get-ChildItem -LiteralPath $fetchInto -Force | Should -BeNullOrEmpty }
            }
            finally {
                Reset-RemoteHost $Remote -LinksOnly
                $null = Stop-FreshPwsh $fresh
            }
        }
    }

    Describe 'The listener of a striped copy' {
        # Drives the far half (RemoteAgent) by hand, as the listener tests of Remote.Tests.ps1 do, for
        # a file of two stripes: each connection must present its own stripe's secret (derived from
        # the copy's by HKDF-SHA256) and seal under its own stripe's key.
        BeforeAll {
            function Invoke-StripedListener([string] $Transport, [string] $Probe) {
                Invoke-WithSession @"
function Derive([byte[]] `$from, [string] `$purpose, [int] `$stripe) { [Security.Cryptography.HKDF]::DeriveKey('SHA256', `$from, 32, [byte[]]::new(0), [Text.Encoding]::ASCII.GetBytes("SpliceModule `$purpose of stripe `$stripe")) }
`$ProbeTransport = '$Transport'; `$ProbeSize = 2 * $Stripe; `$ProbeStripes = 2
. '$(Join-Path $PSScriptRoot 'Support/ListenerProbe.ps1')'
`$finishing = Invoke-Command -Session `$session -AsJob { `$global:agent.Finish(); `$global:agent.Dispose() }
# The bytes of stripe `$n (of two), the same pattern every time.
function Content([int] `$n) { `$bytes = [byte[]]::new($Stripe); [Random]::new(7 + `$n).NextBytes(`$bytes); , `$bytes }
# Stripe `$n's bytes as sealed records under its own key, the last record `$Tamper-ed when asked,
# only the first `$Records (and no end) when asked.
function Send-Sealed(`$connection, [int] `$n, [switch] `$Tamper, [int] `$Records = -1) {
    `$aes = [Security.Cryptography.AesGcm]::new((Derive `$key 'key' `$n), 16)
    `$bytes = Content `$n
    `$record = 256KB
    `$count = `$bytes.Length / `$record
    for (`$i = 0; `$i -le `$count -and `$i -ne `$Records; `$i++) {
        `$length = if (`$i -lt `$count) { `$record } else { 0 }
        `$header = [byte[]]::new(4); `$header[1] = (`$length -shr 16) -band 255; `$header[2] = (`$length -shr 8) -band 255
        `$nonce = [byte[]]::new(12); `$nonce[3] = 1; `$nonce[10] = `$i -shr 8; `$nonce[11] = `$i -band 255
        `$plain = [byte[]]::new(`$length); [Array]::Copy(`$bytes, `$i * `$record, `$plain, 0, `$length)
        `$cipher = [byte[]]::new(`$length); `$tag = [byte[]]::new(16)
        `$aes.Encrypt(`$nonce, `$plain, `$cipher, `$tag, `$header)
        if (`$Tamper -and `$i -eq `$count - 1) { `$cipher[9] = `$cipher[9] -bxor 1 }
        `$connection.Stream.Write(`$header, 0, 4); `$connection.Stream.Write(`$cipher, 0, `$length); `$connection.Stream.Write(`$tag, 0, 16)
    }
    `$connection.Stream.Flush()
}
$Probe
"@
            }

            function Get-Expected {
                $stream = [IO.MemoryStream]::new()
                foreach ($n in 0, 1) { $bytes = [byte[]]::new($Stripe); [Random]::new(7 + $n).NextBytes($bytes); $stream.Write($bytes, 0, $bytes.Length) }
                [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($stream.ToArray()))
            }
        }

        It 'takes one connection per stripe secret, in any order, refuses the copy''s own secret and a replay, then stops listening' {
            if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
            $result = Invoke-StripedListener Encrypted @'
$droppedWrong = Test-Dropped (Connect ([byte[]]::new(32)))
$droppedCopySecret = Test-Dropped (Connect $secret)
$second = Connect (Derive $secret 'secret' 1)
$droppedTwice = Test-Dropped (Connect (Derive $secret 'secret' 1))
$first = Connect (Derive $secret 'secret' 0)
Send-Sealed $second 1
Send-Sealed $first 0
$first.Client.Dispose(); $second.Client.Dispose()
$null = Wait-Job $finishing; $done = Receive-Job $finishing; Remove-Job $finishing
$replayRefused = try { $c = Connect (Derive $secret 'secret' 1); -not (Test-Dropped $c) -and $false } catch [Net.Sockets.SocketException] { $true }
@{ EndPoint = $endPoint; DroppedWrong = $droppedWrong; DroppedCopySecret = $droppedCopySecret; DroppedTwice = $droppedTwice; Failed = [bool]$done.Failed; Message = $done.Message; ReplayRefused = $replayRefused }
'@
            $result.EndPoint | Should -BeLike "$($Remote.Address):*"
            $result.DroppedWrong | Should -BeTrue
            $result.DroppedCopySecret | Should -BeTrue -Because 'a striped copy''s connections present their stripes'' secrets, never the copy''s own'
            $result.DroppedTwice | Should -BeTrue -Because 'each stripe''s secret is taken once'
            $result.Failed | Should -BeFalse -Because $result.Message
            Get-Sha (Join-Path $Remote.Root 'probe.bin') | Should -Be (Get-Expected)
            $result.ReplayRefused | Should -BeTrue -Because 'once both stripes are in, nothing listens'
            Get-ExtraListener | Should -BeNullOrEmpty
        }

        It 'fails the whole copy and writes nothing when one stripe is cut short, though the other arrived' {
            if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
            $result = Invoke-StripedListener Encrypted @'
$first = Connect (Derive $secret 'secret' 0)
$second = Connect (Derive $secret 'secret' 1)
Send-Sealed $first 0
Send-Sealed $second 1 -Records 4
$second.Client.Dispose()
$null = Wait-Job $finishing; $done = Receive-Job $finishing; Remove-Job $finishing
$first.Client.Dispose()
@{ Failed = [bool]$done.Failed; ErrorId = $done.ErrorId }
'@
            $result.Failed | Should -BeTrue
            $result.ErrorId | Should -Be 'DataConnectionLost'
            Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
            Get-ExtraListener | Should -BeNullOrEmpty
        }

        It 'seals each stripe under its own key, and a tampered record in one stripe fails the copy and writes nothing (Encrypted, tampered: <Tamper>)' -TestCases @(@{ Tamper = $false }, @{ Tamper = $true }) {
            param($Tamper)
            if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
            $result = Invoke-StripedListener Encrypted @"
`$first = Connect (Derive `$secret 'secret' 0)
`$second = Connect (Derive `$secret 'secret' 1)
# Untampered, the stripes go in either order; tampered, the far side stops reading once the
# record fails, so the whole stripe goes first.
`$connections = `$first, `$second
foreach (`$n in `$(if (`$$Tamper) { 0, 1 } else { 1, 0 })) {
    try { Send-Sealed `$connections[`$n] `$n -Tamper:(`$$Tamper -and `$n -eq 1) }
    catch [Management.Automation.MethodInvocationException] { if (-not `$$Tamper) { throw } }
}
`$null = Wait-Job `$finishing; `$done = Receive-Job `$finishing; Remove-Job `$finishing
`$first.Client.Dispose(); `$second.Client.Dispose()
@{ Failed = [bool]`$done.Failed; ErrorId = `$done.ErrorId; Message = `$done.Message }
"@
            if ($Tamper) {
                $result.Failed | Should -BeTrue
                $result.ErrorId | Should -Be 'RecordAuthenticationFailed'
                Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
            }
            else {
                $result.Failed | Should -BeFalse -Because $result.Message
                Get-Sha (Join-Path $Remote.Root 'probe.bin') | Should -Be (Get-Expected)
            }
            Get-ExtraListener | Should -BeNullOrEmpty
        }
    }
}
